# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""When to thread: how many threads one kernel call uses.

Every threaded path asks `threads_for(n, threshold)` (through the kernel access room,
_kernel_access.threads_for; `chunks_for` takes an explicit cap) and reports its parallel
regions to `threads_observe`. The answer comes from costs measured
in this process, once, at the first call that could thread (about 1-2 ms):

- `fork_join`: a parallel region whose workers are still spinning from the previous one;
- `wake`: a region whose workers went to sleep (after the spin window of the OpenMP wait
  settings, `_runtime.py` sets them at import);
  each the least median of short rounds of regions (time-limited): a round in which
  another process held a worker's core is slow, the quietest round is the machine's cost;
- per-element cost of representative kernels of each cost class (cheap, medium,
  expensive; registered by the array layer), measured on one thread over a cache-sized
  buffer.

A chunk pays for its thread when its work is MARGIN times the fork/join cost, so the
smallest chunk of a class is MARGIN * fork_join / cost(class). The kernel table's fixed
serial thresholds (opspec.SERIAL_THRESHOLD) only name the cost class here. When the workers
are asleep a call threads only if it also pays the wake-up, or when it belongs to a stream
of such calls (the first pays the wake-up, the next find the workers spinning).

Each parallel region then refines the fork/join (or wake-up) estimate with what it cost
beyond its longest chunk; a fork/join cost that looks measured under load (above SUSPECT x
a quiet machine's) is measured again when calls keep arriving that would thread on a quiet
machine: 0.1 s later, then at doubling intervals up to 1.6 s while it stays high, whatever
the sampler reads, and 0.1 s after the last measurement once the sampler leaves more threads
than when it was measured. The load need not be another process's: NumPy's OpenBLAS
worker thread busy-yields for ~0.1 s after `import numpy` and after each BLAS call, so a
calibration at the first call of a program can find fork/join at ~90 us instead of ~0.8 us
(half the runs of a fresh process on a 2-core VM did).

The guard: each parallel region is timed (entry, exit, start and end of each chunk). A
region that took longer than the sum of its chunks' work and two fork/joins did not pay
(a worker started late: descheduled, because another process owns its core); one entered
with the workers asleep is allowed SUSPECT x the measured wake-up on top. Two such regions
among the last four, once their losses have spent what the regions before them saved (the
credit, at most 2 ms), drop every call to one thread for a while (20 ms, doubling while it
keeps happening right after each back-off, up to 1.3 s); then the next calls probe again.

Serial costs by size: element-wise calls, sums and dot products time their serial calls
whose operands leave the core's caches and the policy weighs later calls of that size by
how much slower than the model they ran (see threads_for_ew).

Other processes: a call that would thread also reads, at most every LOAD_PERIOD, how much
of this process's CPUs others used since the last reading (/proc/stat's busy time of the
CPUs in the affinity mask minus the CPU time of our compute threads: the threads that call
the policy and the OpenMP workers of their teams). Other threads of this process count as
others: NumPy's OpenBLAS pool busy-yields for ~0.1 s after each BLAS call, on a core our
workers need (a program that mixes `@` with element-wise calls lost up to 10 % to it). A core that others kept
more than FOREIGN_SLACK busy is not ours: the call uses the cores left (one, when another
process spins on one of two cores). In a VM the host's steal (time a vCPU wanted to run
and another guest had its physical core) is not counted as others' use: it was read as
such before, and on the 2-core VM, where the host took 0.3-0.5 cores spread over both
vCPUs, the sampler left one thread (0.47 "busy" > FOREIGN_SLACK) while two still ran a
static split faster. A CPU that lost more than STEAL_SLACK of the window to the host is
not ours (its chunk would take more than twice as long); below that, steal is left to
the guard and the learned wake-up costs. The guard catches what the sampler cannot see in
time. A fork/join cost measured while others were busy is measured again (see above for
when).

Wake-ups by idle: what a region entered with the workers asleep costs depends on how long
they slept (on a VM a vCPU idle past the host's halt-polling window is descheduled, and
waking it took ~140 us instead of ~19 us); the policy learns it per idle bucket from the
regions themselves (_wake_after) and threads a call after an idle only when it pays that.

`set_num_threads(n)` (and a threadpoolctl limit) is the cap: the policy lowers it, never
exceeds it.
"""
from cython.parallel cimport parallel, threadid
cimport openmp
from libc.math cimport log, exp, floor
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from dotcompute._core._cpu cimport effective_num_threads

from dotcompute._core._opspec import CHEAP, MEDIUM, EXPENSIVE, SERIAL_THRESHOLD

cdef extern from *:
    """
    #if defined(__x86_64__) || defined(__i386__)
    #include <immintrin.h>
    static inline void dc_pause(void) { _mm_pause(); }
    #elif defined(__aarch64__)
    static inline void dc_pause(void) { __asm__ __volatile__("yield" ::: "memory"); }
    #else
    static inline void dc_pause(void) { __asm__ __volatile__("" ::: "memory"); }
    #endif
    static inline int dc_cas_int(int *p, int expected, int desired) {
        return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE);
    }
    static inline int dc_load_int(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
    static inline void dc_store_int(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
    #include <fcntl.h>
    #include <stdlib.h>
    #include <unistd.h>
    #include <time.h>
    /* Busy seconds (user, nice, system, irq, softirq) of the CPUs marked in in_set
       (indexed by CPU number, nmax entries), from /proc/stat; -1 when unreadable. Steal
       (a VM's vCPU kept off its physical core by the host) is not counted there: each
       CPU's steal since the previous call is compared with `window` seconds, and
       *stolen gets how many CPUs lost more than steal_slack of it, *steal the steal
       seconds of all of them (both 0 at the first call). The caller serialises calls
       (static buffers). */
    #define DC_STEAL_CPUS 4096
    static double dc_cpu_busy(const unsigned char *in_set, int nmax, double window,
                              double steal_slack, int *stolen, double *steal) {
        static char buf[1 << 16];
        static long tick = 0;
        static long prev_steal[DC_STEAL_CPUS];
        static int have_prev = 0;
        ssize_t len = 0, r;
        double busy = 0, st;
        int fd, seen = 0;
        char *p, *end;
        *stolen = 0;
        *steal = 0;
        if (tick <= 0 && (tick = sysconf(_SC_CLK_TCK)) <= 0) return -1;
        fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        while (len < (ssize_t)sizeof(buf) - 1
               && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
            len += r;
        close(fd);
        buf[len] = 0;
        p = buf;
        while (*p) {
            if (p[0] == 'c' && p[1] == 'p' && p[2] == 'u' && p[3] >= '0' && p[3] <= '9') {
                long id = strtol(p + 3, &end, 10), v[8] = {0};
                int k;
                p = end;
                for (k = 0; k < 8; k++) { v[k] = strtol(p, &end, 10); p = end; }
                if (id >= 0 && id < nmax && in_set[id]) {
                    busy += (double)(v[0] + v[1] + v[2] + v[5] + v[6]);
                    if (id < DC_STEAL_CPUS) {
                        if (have_prev) {
                            st = (double)(v[7] - prev_steal[id]) / (double)tick;
                            if (st > 0) {
                                *steal += st;
                                if (st > steal_slack * window) (*stolen)++;
                            }
                        }
                        prev_steal[id] = v[7];
                    }
                    seen++;
                }
            } else if (p[0] != 'c' && seen) {
                break;                          /* past the per-CPU lines */
            }
            while (*p && *p != 10) p++;       /* to the next line */
            if (*p) p++;
        }
        have_prev = seen > 0;
        return seen ? busy / (double)tick : -1;
    }
    static inline double dc_process_cpu(void) {
        struct timespec ts;
        if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return -1;
        return ts.tv_sec + ts.tv_nsec * 1e-9;
    }
    /* Compute threads: the threads that call the policy and the OpenMP workers of their
       teams. Their CPU time is this process's own work; every other thread's counts as
       load, as another process's does (NumPy's OpenBLAS pool busy-yields ~0.1 s after
       each BLAS call, on a core our workers need). Registered once per thread (a
       thread-local flag); the sampler sums the CPU-time deltas of the registered threads
       between its readings (a thread that ended, or one registered since, adds none). */
    #include <pthread.h>
    #define DC_MAX_COMPUTE 128
    static clockid_t dc_compute_clk[DC_MAX_COMPUTE];
    static double dc_compute_last[DC_MAX_COMPUTE];
    static int dc_n_compute = 0;        /* slots taken (may exceed DC_MAX_COMPUTE) */
    static int dc_compute_lock = 0;
    static __thread int dc_is_compute = 0;
    static __thread int dc_team_registered = 0;
    static void dc_register_compute(void) {
        clockid_t c;
        if (dc_is_compute) return;
        dc_is_compute = 1;
        if (pthread_getcpuclockid(pthread_self(), &c)) return;
        while (!dc_cas_int(&dc_compute_lock, 0, 1)) dc_pause();
        if (dc_n_compute < DC_MAX_COMPUTE) {
            /* its CPU time counts as own from now on (not from the next reading: the
               sampler's first reading may come after the workers were made) */
            struct timespec ts;
            dc_compute_clk[dc_n_compute] = c;
            dc_compute_last[dc_n_compute] =
                clock_gettime(c, &ts) ? -1 : ts.tv_sec + ts.tv_nsec * 1e-9;
        }
        dc_n_compute++;
        dc_store_int(&dc_compute_lock, 0);
    }
    /* CPU seconds the registered threads used since the previous call; -1 when there are
       more of them than slots (then the process's CPU time is the own work). */
    static double dc_compute_cpu_delta(void) {
        struct timespec ts;
        double d = 0, v;
        int i, n;
        while (!dc_cas_int(&dc_compute_lock, 0, 1)) dc_pause();
        n = dc_n_compute;
        if (n > DC_MAX_COMPUTE) { dc_store_int(&dc_compute_lock, 0); return -1; }
        for (i = 0; i < n; i++) {
            if (clock_gettime(dc_compute_clk[i], &ts)) { dc_compute_last[i] = -1; continue; }
            v = ts.tv_sec + ts.tv_nsec * 1e-9;
            if (dc_compute_last[i] >= 0) d += v - dc_compute_last[i];
            dc_compute_last[i] = v;
        }
        dc_store_int(&dc_compute_lock, 0);
        return d;
    }
    /* A child process after fork has other threads (its OpenMP runtime makes new
       workers): it registers its own. */
    static void dc_compute_forget(void) {
        dc_n_compute = 0;
        dc_compute_lock = 0;
        dc_is_compute = 0;
        dc_team_registered = 0;
    }
    static void dc_compute_atfork(void (*child)(void)) { pthread_atfork(NULL, NULL, child); }
    static inline int dc_team_size(void) { return dc_team_registered; }
    static inline void dc_set_team_size(int k) { dc_team_registered = k; }
    typedef void (*dc_probe_unary)(const char *, Py_ssize_t, char *, Py_ssize_t, Py_ssize_t);
    typedef void (*dc_probe_binary)(const char *, Py_ssize_t, const char *, Py_ssize_t,
                                    char *, Py_ssize_t, Py_ssize_t);
    """
    void dc_pause() nogil
    int dc_cas_int(int *p, int expected, int desired) nogil
    int dc_load_int(int *p) nogil
    void dc_store_int(int *p, int v) nogil
    double dc_cpu_busy(const unsigned char *in_set, int nmax, double window,
                       double steal_slack, int *stolen, double *steal) nogil
    double dc_process_cpu() nogil
    void dc_register_compute() nogil
    double dc_compute_cpu_delta() nogil
    int dc_team_size() nogil
    void dc_compute_forget() nogil
    void dc_compute_atfork(void (*child)() noexcept nogil)
    void dc_set_team_size(int k) nogil
    ctypedef void (*dc_probe_unary)(const char *, Py_ssize_t, char *, Py_ssize_t,
                                    Py_ssize_t) noexcept nogil
    ctypedef void (*dc_probe_binary)(const char *, Py_ssize_t, const char *, Py_ssize_t,
                                     char *, Py_ssize_t, Py_ssize_t) noexcept nogil

DEF MAX_CHUNKS = 256         # = DC_MAX_CHUNKS of the kernel table
DEF MIN_CHUNK = 64           # elements; chunk borders are multiples of 64
DEF MARGIN = 2.0             # a chunk's work / fork-join cost for a thread to pay
DEF LOSS_RATIO = 1.0         # region time / summed chunk work (+ MARGIN fork/joins) above
                             # which it did not pay (see threads_observe)
DEF CREDIT_DECAY = 1.0 / 256  # share of the guard's credit each region forgets
DEF BACKOFF_FIRST = 0.02     # seconds on one thread after the guard trips ...
DEF BACKOFF_MAX = 1.28       # ... doubling up to this while each trip comes less than
DEF BACKOFF_CONTINUE = 0.1   # this long after the last back-off ended
DEF COLD_IDLE = 2e-3         # s: regions entered after the workers idled this long ...
DEF COLD_REGIONS = 2         # ... (and the next ones, this many in all) are cold: allowed
DEF COLD_WAKE = 300e-6       # this much lateness (s) at least (see threads_observe)
DEF STREAM_WINDOW = 250e-6   # calls closer than this form a stream (see module doc)
DEF REMEASURE_FIRST = 0.1    # s: a fork/join cost measured under load is re-measured after
DEF REMEASURE_MAX = 1.6      # this long, doubling up to REMEASURE_MAX while it stays high
DEF QUIET_FORK_JOIN = 1e-6   # s: fork/join of a quiet machine (PERF.md: 0.4-1 us)
DEF CALIBRATE_MIN = 1024     # calls smaller than this never trigger the measurement
DEF FJ_ROUND = 4             # regions per round of the fork/join measurement ...
DEF WAKE_ROUND = 3           # ... and of the wake-up measurement (<= FJ_ROUND; the least round median
DEF MIN_ROUNDS = 2           # counts; at least MIN_ROUNDS rounds, then until the budget)
DEF CALIBRATE_BUDGET = 1e-3  # s: each of the two measurements at the first call ...
DEF REMEASURE_BUDGET = 0.4e-3    # ... and when measured again
DEF PROBE_N = 4096           # elements of a per-element cost probe (in L1/L2)
DEF MAX_PROBES = 16
DEF LOAD_PERIOD = 0.1        # s: other processes' CPU use is read at most this often
DEF LOAD_STALE = 0.3         # s: a reading over a longer window (this process idle, or
                             # serial) that found others busy says little about now: the
DEF LOAD_CONFIRM = 0.05      # next one comes after this (/proc/stat counts 10 ms ticks:
                             # +-0.4 cores of 2 over 50 ms, +-0.2 over 0.1 s)
DEF LOAD_FIRST = 0.02        # s: the first reading comes this long after the baseline (at
                             # import, set_cpus) at the earliest: 2 ticks of /proc/stat
DEF FOREIGN_SLACK = 0.4      # a core others keep busier than this is not ours
DEF STEAL_SLACK = 0.5        # a CPU the host takes more of than this (steal) is not ours
DEF MAX_CPUS = 4096          # CPU numbers the sampler looks at
DEF SUSPECT = 4.0            # a cost above SUSPECT x its quiet value was measured under load
DEF WIDE_MAX = 3.0           # bound of the measured 8-byte / 4-byte element cost ratio
DEF IDLE_BUCKETS = 8         # wake-ups learned by how long the workers idled: bucket b
DEF IDLE_BASE = 32e-6        # holds idle times in [2^b, 2^(b+1)) x IDLE_BASE (b = 0 below,
                             # the last one above)
DEF WAKE_WEIGHT = 0.125      # weight of a region in its bucket's mean
DEF WAKE_CAP = 5e-3          # s: the most one region adds to a bucket's mean
DEF WAKE_HALF_LIFE = 1.0     # s: a learned wake-up's excess over the measured one halves

# ------------------------------------------------------------------------- state
cdef enum:
    UNCALIBRATED = 0
    CALIBRATING = 1
    READY = 2

cdef enum:
    MODE_AUTO = 0
    MODE_ALWAYS = 1    # tests: thread whenever chunks of MIN_CHUNK can be made (cap holds)
    MODE_NEVER = 2

cdef int _state = UNCALIBRATED
cdef int _mode = MODE_AUTO

# measured (seconds)
cdef double _pause = 0          # one pause instruction
cdef double _fork_join = 0      # region with spinning workers
cdef double _wake = 0           # region with sleeping workers
cdef double _cost[3]            # per element, by cost class (its cheapest probe)
cdef double _wide[3]            # per class: cost of an 8-byte element / _cost (>= 1)
cdef int _calibrated_threads = 0
# wait settings (from _runtime): spin count the OpenMP runtime uses, -1 unknown
cdef double _spincount = -1
cdef double _spin_window = 0    # seconds a worker spins after a region
# derived
cdef double _thr[3]             # smallest chunk per class, workers spinning
cdef double _wake_mult = 1      # how much larger a chunk must be to pay a wake-up
cdef double _wk[IDLE_BUCKETS]   # mean cost beyond the longest chunk of regions entered after
cdef double _wk_t[IDLE_BUCKETS] # idling that long (0: none seen), and when last seen
cdef double _stream_gain = 0    # what threading would have saved the current stream's calls
cdef double _stream_need = 1    # ... x the wake-up: when the stream threads (see _chunks_at)
cdef bint _bought = False       # the stream's last call paid a wake-up; none since was warm
cdef double _anchor_log[3]      # log of SERIAL_THRESHOLD per class (cheap, medium, exp.)
cdef double _thr_log[3]
# dynamic
cdef double _last_end = -1e30   # when the last parallel region ended
cdef Py_ssize_t _last_n = 0     # the last threaded call's n (weighed, as _chunks_at's)
cdef bint _sticky_on = True
cdef double _last_real = -1e30  # when the last call that met its threshold threaded
cdef double _last_want = -1e30  # the latest the last call that wanted threads may end
                                # serially (see chunks_for)
DEF RECENT = 256              # regions recent_regions() keeps
DEF RED_ROW = 3               # the learned serial costs' row of reductions and dots
DEF TIERS = 10                # serial cost ratio learned by operand size: 128 KiB .. 64 MiB+
DEF TIER_MIN_BYTES = 131072   # operands smaller than this stay in the core's caches
DEF TIER_MAX = 16.0           # the most a serial call is weighed by (see threads_for_ew)
DEF TIER_LOG_MAX = 2.772588722239781    # log(TIER_MAX)
DEF TIER_UP = 0.125           # weight of a slower call in the learned log ratio
DEF TIER_DOWN = 0.5           # ... of a faster one
DEF STICKY_MIN = 0.25        # a call down to this share of its threshold threads after a
DEF STICKY_SIZE = 4.0        # threaded call at most this many times its size (_sticky)
DEF STICKY_WINDOW = 100e-6   # s: ... that started at most this long ago
DEF SERIAL_SLOW = 8.0           # DRAM-bound work runs up to this x its cache-resident cost
cdef double _backoff_until = 0
cdef double _backoff_len = BACKOFF_FIRST
cdef unsigned int _history = 0  # loss bits of the last regions, newest lowest
cdef double _credit = 0         # seconds threading saved lately (see threads_observe)
cdef double _credit_max = 2e-3  # the most it holds
cdef long long _n_recent = 0    # regions seen, and the last RECENT of them (recent_regions):
cdef double _recent[RECENT][8]  # entry, time, summed work, allowance, idle, lost + 2 cold,
                                 # latest chunk start after entry, exit after earliest chunk end
cdef int _cold_left = 0         # regions still cold (entered after a long idle)
cdef int _wins = 0
cdef double _last_measure = 0   # when fork/join was last measured with empty regions
cdef int _measure_cap = MAX_CHUNKS  # the threads the sampler left then
cdef double _remeasure_gap = REMEASURE_FIRST    # the wait before the next re-measurement
cdef double _fj_base = 0        # fork/join and wake-up of that measurement: what a region's
cdef double _wake_base = 0      # overhead may move the running estimates to (x SUSPECT)
cdef int _since_derive = 0
# other processes (the load sampler, see the module doc)
cdef unsigned char _cpu_set[MAX_CPUS]   # CPUs of this process's affinity mask
cdef int _ncpu_set = 0          # how many (0: sampler off)
cdef int _load_lock = 0
cdef double _load_t = -1        # when /proc/stat was last read
cdef double _load_next = -1     # when it is read next (at the earliest)
cdef double _load_busy = 0      # busy seconds of our CPUs then
cdef double _load_own = 0       # this process's CPU seconds then
cdef double _foreign = 0        # cores other processes kept busy over the last window
cdef int _load_cap = MAX_CHUNKS # threads they leave us
cdef int _load_cap_procs = MAX_CHUNKS   # ... counting other processes only
cdef bint _load_seen = False     # a reading over a window (not only the baseline) was taken
cdef double _forced_foreign = -1   # tests: this reading instead of /proc/stat
cdef double _steal = 0          # cores' worth of time the host took from our CPUs (a VM's
cdef int _stolen = 0            # steal) over the last window; CPUs that lost > STEAL_SLACK
cdef int _forced_stolen = 0     # tests: with _forced_foreign, CPUs taken by the host
cdef long long _n_load_capped = 0
# statistics (runtime report, tests)
cdef long long _n_parallel = 0, _n_lost = 0, _n_backoffs = 0, _n_remeasured = 0
cdef int _max_chunks_seen = 0

# probes
cdef int _nprobes = 0
cdef int _probe_cls[MAX_PROBES]
cdef int _probe_kind[MAX_PROBES]
cdef void *_probe_fn[MAX_PROBES]
cdef int _probe_size[MAX_PROBES]
cdef double _probe_buf[3][PROBE_N]

cdef void _forked_child() noexcept nogil:
    """In a child after fork: its own compute threads, and the sampler starts afresh (its
    previous reading was the parent's)."""
    global _load_t, _load_next, _load_cap, _load_cap_procs
    dc_compute_forget()
    _load_t = -1
    _load_next = -1
    _load_cap = _load_cap_procs = MAX_CHUNKS


dc_compute_atfork(_forked_child)

cdef int _CLASS_ORDER[3]
_wide[0] = _wide[1] = _wide[2] = 1.0
_CLASS_ORDER[0] = CHEAP
_CLASS_ORDER[1] = MEDIUM
_CLASS_ORDER[2] = EXPENSIVE
cdef int _ANCHOR[3]
for _i in range(3):
    _ANCHOR[_i] = SERIAL_THRESHOLD[_CLASS_ORDER[_i]]
    _anchor_log[_i] = log(<double>_ANCHOR[_i])


cdef double threads_now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef void threads_add_probe(int cls, int kind, void *fn, int itemsize) noexcept:
    global _nprobes
    if fn == NULL or _nprobes >= MAX_PROBES or cls not in (CHEAP, MEDIUM, EXPENSIVE):
        return
    _probe_cls[_nprobes] = cls
    _probe_kind[_nprobes] = kind
    _probe_fn[_nprobes] = fn
    _probe_size[_nprobes] = itemsize
    _nprobes += 1


# ------------------------------------------------------------------- calibration

cdef double _median(double *v, int m) noexcept nogil:
    cdef int i, j
    cdef double x
    for i in range(1, m):                 # insertion sort, m is small
        x = v[i]
        j = i - 1
        while j >= 0 and v[j] > x:
            v[j + 1] = v[j]
            j -= 1
        v[j + 1] = x
    return v[m // 2] if m % 2 else 0.5 * (v[m // 2 - 1] + v[m // 2])


cdef int _sink[MAX_CHUNKS]

cdef double _region(int k) noexcept nogil:
    """Time of one empty parallel region of k threads."""
    cdef int c
    cdef double t0 = threads_now()
    with parallel(num_threads=k):
        c = threadid()
        while c < k:          # one chunk a thread (more when the team is smaller)
            _sink[c] = c
            dc_register_compute()
            c = c + openmp.omp_get_num_threads()
    return threads_now() - t0


cdef inline void _register_team(int k) noexcept nogil:
    """This thread and the k - 1 OpenMP workers of its team are compute threads (see
    dc_register_compute): one empty region registers the workers, once per size."""
    if dc_team_size() < k:
        dc_register_compute()
        _region(k)
        dc_set_team_size(k)


cdef void _busy(double seconds) noexcept nogil:
    cdef double t0 = threads_now()
    while threads_now() - t0 < seconds:
        pass


cdef double _probe_cost(int i) noexcept nogil:
    """Seconds per element of probe i on this thread (best of 3 over PROBE_N elements)."""
    cdef Py_ssize_t m = PROBE_N, j
    cdef Py_ssize_t sz = _probe_size[i]
    cdef double best = 1e30, t0, dt
    cdef int rep
    for j in range(PROBE_N):
        if sz == 4:
            (<float *>_probe_buf[0])[j] = <float>(0.1 + 1.9 * j / PROBE_N)
            (<float *>_probe_buf[1])[j] = <float>(1.1 + 0.5 * j / PROBE_N)
        else:
            _probe_buf[0][j] = 0.1 + 1.9 * j / PROBE_N
            _probe_buf[1][j] = 1.1 + 0.5 * j / PROBE_N
    for rep in range(3):
        t0 = threads_now()
        if _probe_kind[i] == 0:
            (<dc_probe_unary>_probe_fn[i])(<char *>_probe_buf[0], sz, <char *>_probe_buf[2],
                                           sz, m)
        else:
            (<dc_probe_binary>_probe_fn[i])(<char *>_probe_buf[0], sz, <char *>_probe_buf[1],
                                            sz, <char *>_probe_buf[2], sz, m)
        dt = threads_now() - t0
        if dt < best:
            best = dt
    return best / PROBE_N


cdef double _least_round(int k, int per, int rounds, double budget,
                         double gap) noexcept nogil:
    """The least median of `per` regions of k threads over up to `rounds` rounds, ending
    after `budget` seconds once MIN_ROUNDS are done; gap > 0: each region after that long
    a pause (the workers asleep). A round in which another process held a worker's core
    waits for the scheduler (~100 us, up to a time slice): the median of all regions took
    that for the machine's cost whenever one core was busy at the first call; the quietest
    round is what the regions of our calls cost when the cores are ours, the case in which
    they thread (the sampler and the guard handle the others)."""
    cdef double v[FJ_ROUND]
    cdef double best = 1e30, m, t0 = threads_now()
    cdef int i, r
    for r in range(rounds):
        for i in range(per):
            if gap > 0:
                _busy(gap)
            v[i] = _region(k)
        m = _median(v, per)
        if m < best:
            best = m
        if r + 1 >= MIN_ROUNDS and threads_now() - t0 > budget:
            break
    return best


cdef double _measure_fork_join(int k, int rounds, double budget) noexcept nogil:
    """Fork/join of k threads, workers spinning: _least_round of FJ_ROUND empty regions
    (the first region, not counted, wakes or creates the workers)."""
    global _last_measure
    cdef double fj
    _region(k)
    fj = _least_round(k, FJ_ROUND, rounds, budget, 0)
    _last_measure = threads_now()
    return fj


cdef double _measure_wake(int k, int rounds, double budget) noexcept nogil:
    """Wake-up of k threads: _least_round of WAKE_ROUND regions, each after the workers'
    spin window (bounded: a long or infinite spin means the workers are found spinning, no
    wake-up cost arises)."""
    if _spin_window >= 1e-3:
        return _fork_join
    return _least_round(k, WAKE_ROUND, rounds, budget, _spin_window * 1.5 + 20e-6)


cdef void _calibrate(int k) noexcept nogil:
    global _pause, _fork_join, _wake, _calibrated_threads, _wake_mult, _fj_base, _wake_base
    global _measure_cap
    cdef double v[16]
    cdef double wide[3]
    cdef double t0, gap, c
    cdef int i, j, cls
    # pause instruction (what one spin of the OpenMP runtime costs)
    for i in range(3):
        t0 = threads_now()
        for j in range(2000):
            dc_pause()
        v[i] = (threads_now() - t0) / 2000
    _pause = _median(v, 3)
    _set_spin_window()
    _measure_cap = _load_cap_at(threads_now())     # the sampler's first reading
    _measure_costs(k, 16, CALIBRATE_BUDGET)
    _calibrated_threads = k
    # per-element costs; the cheapest probe of a class decides (the conservative side);
    # the cheapest 8-byte probe of the class, relative to it, scales the calls on 8-byte
    # elements (chunks_for_size: they move twice the bytes of float32 ones)
    for cls in range(3):
        _cost[cls] = 0
        wide[cls] = 0
    for i in range(_nprobes):
        c = _probe_cost(i)
        cls = _probe_cls[i]
        if c > 0 and (_cost[cls] == 0 or c < _cost[cls]):
            _cost[cls] = c
        if c > 0 and _probe_size[i] >= 8 and (wide[cls] == 0 or c < wide[cls]):
            wide[cls] = c
    for i in range(3):
        cls = _CLASS_ORDER[i]
        c = wide[cls] / _cost[cls] if wide[cls] > 0 and _cost[cls] > 0 else 1.0
        _wide[i] = WIDE_MAX if c > WIDE_MAX else (1.0 if c < 1.0 else c)
    _derive()


cdef void _derive() noexcept nogil:
    """Thresholds from the measured costs: smallest chunk = MARGIN * fork_join / cost,
    ordered (an expensive class never threads later than a cheaper one)."""
    global _wake_mult
    cdef int i, cls
    cdef double t, fj = _fork_join if _fork_join > 0 else 1e-6
    for i in range(3):
        cls = _CLASS_ORDER[i]
        if _cost[cls] > 0:
            t = MARGIN * fj / _cost[cls]
        else:                            # no probe: the table's value, scaled to 1 us
            t = _ANCHOR[i] * fj / 1e-6
        if t < MIN_CHUNK:
            t = MIN_CHUNK
        if t > 1 << 26:
            t = 1 << 26
        if i > 0 and t > _thr[i - 1]:
            t = _thr[i - 1]
        _thr[i] = t
        _thr_log[i] = log(t)
    _wake_mult = _wake / fj if _wake > fj else 1.0


cdef void _set_spin_window() noexcept nogil:
    global _spin_window
    if _spincount < 0:
        _spin_window = 300000 * _pause          # libgomp's default
    else:
        _spin_window = _spincount * _pause


cdef bint _ensure_calibrated(int cap) noexcept nogil:
    if dc_load_int(&_state) == READY:
        return True
    if not dc_cas_int(&_state, UNCALIBRATED, CALIBRATING):
        return False                      # another thread is calibrating: serial meanwhile
    _calibrate(cap if cap < MAX_CHUNKS else MAX_CHUNKS)
    dc_store_int(&_state, READY)
    return True


# ------------------------------------------------------------------------ policy

cdef inline double _chunk_min(int threshold) noexcept nogil:
    """Smallest worthwhile chunk for a kernel-table threshold (a cost-class hint): the
    measured value of its class, interpolated in log space between classes."""
    cdef double lh
    cdef int i
    for i in range(3):
        if threshold == _ANCHOR[i]:
            return _thr[i]
    if threshold <= 0:
        return _thr[2]
    lh = log(<double>threshold)
    if lh >= _anchor_log[0]:
        return _thr[0] * threshold / _ANCHOR[0]
    if lh <= _anchor_log[2]:
        return _thr[2] * threshold / _ANCHOR[2]
    i = 0 if lh >= _anchor_log[1] else 1
    return exp(_thr_log[i] + (_thr_log[i + 1] - _thr_log[i])
               * (lh - _anchor_log[i]) / (_anchor_log[i + 1] - _anchor_log[i]))


cdef inline int _idle_bucket(double idle) noexcept nogil:
    cdef int b = 0
    cdef double edge = 2 * IDLE_BASE
    while b < IDLE_BUCKETS - 1 and idle >= edge:
        edge *= 2
        b += 1
    return b


cdef inline double _learned(int b, double t) noexcept nogil:
    """Bucket b's mean, its excess over the measured wake-up decayed by the time since it
    was last seen (0: none seen)."""
    cdef double x = _wk[b]
    if x > _wake:
        x = _wake + (x - _wake) * exp(-0.6931471805599453 * (t - _wk_t[b]) / WAKE_HALF_LIFE)
    return x


cdef double _wake_after(double idle, double t) noexcept nogil:
    """What a region entered at time t after the workers idled `idle` seconds costs beyond
    its work: the learned mean of its idle bucket, or where none was seen the nearest
    shorter idle's (a longer sleep is no cheaper to end), at least the measured wake-up.
    On a VM a vCPU that idled past the host's halt-polling window is descheduled by the
    host: on the 2-core VM a region entered after more than ~0.2 ms idle cost ~140 us
    (median; mean up to ~600 us while other guests were busy) on top of its work, against
    the ~19 us the wake-up measurement (regions ~50 us apart) finds. The learned means
    include the rare long delays, since a program's time is their sum; they decay towards
    the measured wake-up when no region of their bucket comes (the calls they kept
    serial): about every second a call threads again and measures. (The largest mean of
    all shorter idles, as first written, let one bucket's outliers, each mean moving by
    hundreds of us per slow region under the host's steal, hold every longer idle serial:
    after each guard back-off a stream of 1e5-element calls rented for ~50 calls.)"""
    cdef int j = _idle_bucket(idle)
    cdef double x
    while j >= 0:
        if _wk[j] > 0:
            x = _learned(j, t)
            return x if x > _wake else _wake
        j -= 1
    return _wake


cdef void _measure_costs(int k, int rounds, double budget) noexcept nogil:
    """Fork/join (up to `rounds` rounds of FJ_ROUND empty regions) and wake-up (a quarter
    of them, at least MIN_ROUNDS, of WAKE_ROUND regions) on k threads, each within about
    `budget` seconds; they become the running estimates and the bases their updates are
    clamped to."""
    global _fork_join, _wake, _fj_base, _wake_base
    _fork_join = _measure_fork_join(k, rounds, budget)
    _wake = _measure_wake(k, rounds // 4 if rounds >= 4 * MIN_ROUNDS else MIN_ROUNDS, budget)
    if _wake < _fork_join:
        _wake = _fork_join
    _fj_base = _fork_join
    _wake_base = _wake


cdef void _remeasure(int cap, int lc) noexcept nogil:
    """Fork/join and wake-up again (the estimate looks like a loaded machine's; lc: the
    threads the sampler leaves now): up to 8 rounds of empty regions and 2 of wake-ups,
    ~0.1 ms on a quiet machine, about REMEASURE_BUDGET each when other processes delay
    the rounds."""
    global _n_remeasured, _measure_cap
    _measure_cap = lc
    cdef int k = cap if cap < _calibrated_threads else _calibrated_threads
    if not dc_cas_int(&_state, READY, CALIBRATING):
        return
    _measure_costs(k, 8, REMEASURE_BUDGET)
    _n_remeasured += 1
    _derive()
    dc_store_int(&_state, READY)


cdef inline int _cap_for(double foreign, int ncpu) noexcept nogil:
    """Threads left when other processes keep `foreign` of our ncpu cores busy."""
    cdef int c = ncpu - <int>floor(foreign + 1.0 - FOREIGN_SLACK)
    return c if c > 1 else 1


cdef int _load_cap_at(double t) noexcept nogil:
    """Threads other processes leave us (MAX_CHUNKS when unknown): from their share of our
    CPUs since the previous reading, read again at most every LOAD_PERIOD. A reading over a
    window longer than LOAD_STALE that leaves fewer threads than CPUs (the calls that ask
    came after a pause: the load it averages may have ended, as when a benchmark's other
    backends ran their turns in it) holds only until a reading LOAD_CONFIRM later, over the
    calls that follow."""
    global _load_t, _load_next, _load_busy, _load_own, _foreign, _load_cap, _ncpu_set
    global _load_cap_procs, _steal, _stolen, _load_seen
    cdef double busy, own, f, proc, steal = 0
    cdef int stolen = 0
    if _forced_foreign >= 0:
        return _cap_for(_forced_foreign,
                        (_ncpu_set if _ncpu_set > 0 else MAX_CHUNKS) - _forced_stolen)
    if _ncpu_set <= 0 or t < _load_next:
        return _load_cap
    if not dc_cas_int(&_load_lock, 0, 1):
        return _load_cap
    dc_register_compute()                   # the caller's CPU time is our work
    busy = dc_cpu_busy(_cpu_set, MAX_CPUS, t - _load_t if _load_t >= 0 else 0.0,
                       STEAL_SLACK, &stolen, &steal)
    own = dc_compute_cpu_delta()            # since the last reading, compute threads only
    proc = dc_process_cpu()
    if own < 0:                             # too many threads to follow: the process's
        own = proc - _load_own
    if busy < 0:
        _ncpu_set = 0                       # no /proc/stat here: the guard alone
        _load_cap = MAX_CHUNKS
    else:
        if _load_t >= 0:
            f = ((busy - _load_busy) - own) / (t - _load_t)
            _foreign = f if f > 0 else 0
            # a CPU the host kept off for more than STEAL_SLACK of the window is not ours
            # either; steal below that is spread over CPUs that all still run our chunks
            _steal = steal / (t - _load_t)
            _stolen = stolen
            _load_cap = _cap_for(_foreign, _ncpu_set - stolen)
            # other processes alone (this process's other threads not counted)
            f = ((busy - _load_busy) - (proc - _load_own)) / (t - _load_t)
            _load_cap_procs = _cap_for(f if f > 0 else 0, _ncpu_set - stolen)
            _load_seen = True
        _load_next = t + (LOAD_CONFIRM if _load_t >= 0 and t - _load_t > LOAD_STALE
                          and _load_cap < _ncpu_set else LOAD_PERIOD)
        _load_t = t
        _load_busy = busy
        _load_own = proc
    dc_store_int(&_load_lock, 0)
    return _load_cap


cdef int chunks_for(Py_ssize_t n, int threshold, int cap) noexcept nogil:
    return _chunks_at(n, threshold, cap, -1)


cdef inline int _class_of(int threshold) noexcept nogil:
    """The cost class (0 cheap, 1 medium, 2 expensive) nearest a threshold hint."""
    cdef double lh
    if threshold <= 0:
        return 2
    lh = log(<double>threshold)
    if lh >= 0.5 * (_anchor_log[0] + _anchor_log[1]):
        return 0
    return 1 if lh >= 0.5 * (_anchor_log[1] + _anchor_log[2]) else 2


cdef inline Py_ssize_t _weighed(Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    """n elements of `itemsize` bytes as the policy counts them: an element of 8 bytes or
    more counts as the measured cost ratio of the class's 8-byte probe to its cheapest
    one (about 2: a float64 add moves twice the bytes of a float32 one, and the thresholds
    are the cheapest probe's)."""
    cdef double w
    if itemsize >= 8 and dc_load_int(&_state) == READY:
        w = _wide[_class_of(threshold)]
        if w > 1.0:
            return <Py_ssize_t>(n * w)
    elif 0 < itemsize < 4 and _class_of(threshold) == 0:
        # a cheap op on 1- or 2-byte elements (bool masks, int8) moves a quarter or half
        # the bytes of a float32 one, in vectors of four or two times the elements: counted
        # as float32 elements, `m1 & m2` of 1e5 bools threaded at 0.76x NumPy (1.2x serial)
        return n * itemsize // 4
    return n


cdef int chunks_for_size(Py_ssize_t n, int threshold, int cap, int itemsize) noexcept nogil:
    """chunks_for for a call on elements of `itemsize` bytes (weighed: _weighed)."""
    if cap <= 1 or n < 2 * MIN_CHUNK:
        return 1                      # before the weighting: 16-element slab calls pay it
    return _chunks_at(_weighed(n, threshold, itemsize), threshold, cap, -1)


cdef int threads_for_size(Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    return chunks_for_size(n, threshold, effective_num_threads(), itemsize)


# ------------------------------------------------- serial cost by size (element-wise)
#
# The per-element costs are measured over an L1-sized buffer. A call whose operands leave
# the core's caches costs more per element, by a factor that depends on the machine: on the
# 2-core Xeon VM (2 MiB L2 per core, a shared L3 the host's other guests use) a float64
# add of 1e5 elements ran at 0.9 ns an element on one thread, ten times the probe's cost,
# and at a quarter of that on two (each core's half fits its L2); the policy, reading the
# probe's cost, kept it serial (a chunk of 5e4 under the smallest chunk, 5.7e4), at 1.0x
# NumPy where two threads gave 3.5x. So the element-wise drivers time their serial calls
# from TIER_MIN_BYTES per operand on and report them (threads_note_serial): the policy
# learns, per cost class and per power-of-two size of an operand, how much slower than the
# model such calls run, and weighs the calls of that size by it (threads_for_ew). The mean
# is kept in log space, moving down fast and up slowly (a call descheduled by the host
# reads as slow: it must not make the policy thread), between 1 and TIER_MAX.

cdef double _tier[4][TIERS]      # learned log(serial cost / model cost), by class and size
                                 # (row RED_ROW: reductions, see threads_for_red)
cdef bint _tiers_on = True


def set_serial_tiers(bint on):
    """Whether element-wise calls are weighed by the learned serial costs by size (A/B
    measurements); returns the previous setting."""
    global _tiers_on
    old = _tiers_on
    _tiers_on = on
    return old
cdef inline int _tier_of(Py_ssize_t nbytes) noexcept nogil:
    cdef int t = 0
    cdef Py_ssize_t edge = (<Py_ssize_t>TIER_MIN_BYTES) << 1
    while t < TIERS - 1 and nbytes >= edge:
        t += 1
        edge <<= 1
    return t


cdef int _for_row(int row, Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    cdef int cap = effective_num_threads()
    cdef Py_ssize_t nbytes = n * (itemsize if itemsize > 0 else 1)
    cdef double m
    if (cap <= 1 or n < 2 * MIN_CHUNK or nbytes < TIER_MIN_BYTES or not _tiers_on
            or dc_load_int(&_state) != READY):
        return chunks_for_size(n, threshold, cap, itemsize)
    m = _tier[_class_of(threshold) if row < 0 else row][_tier_of(nbytes)]
    if m > 0:
        n = <Py_ssize_t>(n * exp(m))
    return chunks_for_size(n, threshold, cap, itemsize)


cdef int threads_for_ew(Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    """threads_for_size for an element-wise call: its n also weighed by what serial calls
    of its class and size were seen to cost beyond the model."""
    return _for_row(-1, n, threshold, itemsize)


cdef double threads_class_cost(int threshold) noexcept nogil:
    """The measured per-element cost (seconds, one thread, cache-resident) of the cost
    class a threshold hint names; 0 before the measurement."""
    if dc_load_int(&_state) != READY:
        return 0
    return _cost[_class_of(threshold)]


cdef int threads_for_red(Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    """The same for a reduction or dot product (n as its driver weighs it): its own row,
    as one read stream costs differently from an element-wise call's three."""
    return _for_row(RED_ROW, n, threshold, itemsize)


cdef bint threads_time_serial(Py_ssize_t n, int threshold, int itemsize) noexcept nogil:
    """Whether the driver of a serial element-wise call (a reduction's) should time it for
    threads_note_serial (threads_note_serial_red): a call large enough to leave the caches, which would thread
    if it cost TIER_MAX x the model, in auto mode with threads allowed."""
    if (n * itemsize < TIER_MIN_BYTES or _mode != MODE_AUTO
            or dc_load_int(&_state) != READY or effective_num_threads() <= 1):
        return False
    return _weighed(n, threshold, itemsize) * TIER_MAX >= 2 * _chunk_min(threshold)


cdef void threads_note_serial(Py_ssize_t n, int threshold, int itemsize,
                              double seconds) noexcept nogil:
    """A serial element-wise call of n elements took `seconds`: move its class and size's
    learned cost ratio."""
    _note_row(-1, n, threshold, itemsize, seconds)


cdef void threads_note_serial_red(Py_ssize_t n, int threshold, int itemsize,
                                  double seconds) noexcept nogil:
    """The same for a serial reduction or dot product (n as its driver weighs it)."""
    _note_row(RED_ROW, n, threshold, itemsize, seconds)


cdef void _note_row(int row, Py_ssize_t n, int threshold, int itemsize,
                    double seconds) noexcept nogil:
    cdef int i, t
    cdef double model, r, cur
    if (seconds <= 0 or n <= 0 or n * itemsize < TIER_MIN_BYTES
            or dc_load_int(&_state) != READY):
        return
    i = _class_of(threshold) if row < 0 else row
    t = _tier_of(n * itemsize)
    model = _weighed(n, threshold, itemsize) * MARGIN * _fork_join / _chunk_min(threshold)
    if model <= 0:
        return
    r = log(seconds / model)
    if r < 0:
        r = 0
    elif r > TIER_LOG_MAX:
        r = TIER_LOG_MAX
    cur = _tier[i][t]
    _tier[i][t] = cur + (r - cur) * (TIER_DOWN if r < cur else TIER_UP)


cdef bint _sticky(Py_ssize_t n, double e, double now) noexcept nogil:
    """Whether a call below its class's threshold (n < 2e, n weighed as _chunks_at's) should
    thread anyway: it is at least STICKY_MIN of the threshold, at least 1/STICKY_SIZE of
    the last threaded call's size and comes while that region's workers still spin. The
    call most likely works on the data that region left split between the cores' caches
    (`1.0 / (1.0 + np.exp(-z))`: the exp threads, the negation and the arithmetic do not):
    run serially, it pulls the worker's half over, and the next threaded call pushes it
    back. At n = 1e4-2e4 float64 that mixing cost 1.3-2.2x the time of running every call
    on one thread or every call on two (tools/bench_mixed.py), where each call alone is
    level either way."""
    cdef double t
    if not _sticky_on or n < STICKY_MIN * 2 * e or n * STICKY_SIZE < _last_n:
        return False
    t = now if now >= 0 else threads_now()
    return (t - _last_end <= _spin_window and t - _last_real <= STICKY_WINDOW
            and t >= _backoff_until)


cdef int _chunks_at(Py_ssize_t n, int threshold, int cap, double now) noexcept nogil:
    """chunks_for at time `now` (< 0: the clock's; tests pass their own)."""
    global _last_want, _n_load_capped, _last_measure, _remeasure_gap, _stream_gain
    global _stream_need, _bought, _last_n, _last_real
    cdef double e, t, w, serial
    cdef Py_ssize_t k
    cdef int lc
    cdef bint sticky
    if cap <= 1 or n < 2 * MIN_CHUNK or _mode == MODE_NEVER:
        return 1
    if cap > MAX_CHUNKS:
        cap = MAX_CHUNKS
    if _mode == MODE_ALWAYS:
        k = n // MIN_CHUNK
        return <int>(k if k < cap else cap)
    if dc_load_int(&_state) != READY:
        if n < CALIBRATE_MIN:
            return 1
        if _ncpu_set > 0 and _forced_foreign < 0:
            # Costs are measured once the sampler has read the machine and found a core
            # free besides the caller's: `import dotcompute` imports NumPy, whose OpenBLAS
            # worker busy-yields ~0.1 s after it, and a measurement in that window read
            # fork/join at ~100 us and kept calls serial until measured again (0.1-0.3 s).
            # Until then calls run on one thread, as the spinner's core would make them.
            t = now if now >= 0 else threads_now()
            if _load_cap_at(t) <= 1 or not _load_seen:
                return 1
        if not _ensure_calibrated(cap):
            return 1
    e = _chunk_min(threshold)
    sticky = False
    if n < 2 * e and _sticky(n, e, now):
        e = n * 0.5                      # two chunks, on the workers still spinning
        sticky = True
    elif n < 2 * e:
        # A fork/join cost far above a quiet machine's keeps thresholds high while
        # nothing threads: for a call that would thread at the quiet cost, measure it
        # again, 0.1 s after the last measurement, doubling to 1.6 s while it stays high,
        # whatever the sampler reads (the measurement keeps the quietest of its rounds;
        # waiting for a quiet reading, as before, kept a cost measured under load for as
        # long as any other process ran: on a shared machine for good, everything below
        # ~1.5M elements serial), and 0.1 s after it at the latest once the sampler leaves
        # more threads than when it was measured (the load that inflated it has gone).
        if (_fork_join > SUSPECT * QUIET_FORK_JOIN
                and n >= 2 * e * QUIET_FORK_JOIN / _fork_join):
            t = now if now >= 0 else threads_now()
            lc = _load_cap_at(t)
            if t - _last_measure > (_remeasure_gap if lc <= _measure_cap else
                                    REMEASURE_FIRST):
                _remeasure(cap, lc)
                _remeasure_gap = (REMEASURE_FIRST if _fork_join <= SUSPECT * QUIET_FORK_JOIN
                                  else min(2 * _remeasure_gap, REMEASURE_MAX))
                _last_measure = t
        return 1
    t = now if now >= 0 else threads_now()
    if t < _backoff_until:
        return 1
    serial = n * MARGIN * _fork_join / e    # n x the class's measured per-element cost
    if t - _last_end > _spin_window:
        w = _wake_after(t - _last_end, t)
        # the measured wake-up with the margin of the fork/join (MARGIN x its cost), a
        # learned excess over it at its mean (it is one already, slow regions included)
        if n < 2 * e * (_wake + (w - _wake) / MARGIN) / _fork_join:
            # The workers sleep and this call alone does not pay the wake-up. A stream of
            # such calls does once what threads would have saved its calls so far (half
            # their serial time, on two threads) reaches the wake-up: renting until the
            # rent paid reaches the price, so a long stream loses at most one wake-up's
            # worth and a short one pays none it cannot recover. The workers then spin
            # for the next calls. If the next call of the stream finds them asleep again
            # (calls spaced wider than the spin window: each would pay a wake-up), the
            # stream must save four times as much before the next purchase, up to 64x.
            # A stream: this call starts less than STREAM_WINDOW after the previous one
            # that wanted threads would at the latest end run serially (its
            # cache-resident serial time; a DRAM-bound call takes up to SERIAL_SLOW x
            # that); its first call runs serially.
            if t > _last_want + STREAM_WINDOW:
                _stream_gain = 0.5 * serial
                _stream_need = 1.0
                _bought = False
                _last_want = t + SERIAL_SLOW * serial
                return 1
            if _bought:
                _bought = False
                _stream_need = _stream_need * 4 if _stream_need < 64 else 64
            _stream_gain += 0.5 * serial
            _last_want = t + SERIAL_SLOW * serial
            if _stream_gain < _stream_need * w:
                return 1
            _stream_gain = 0
            _bought = True
    else:
        # Workers found spinning: the stream's calls come close enough for the wake-ups it
        # bought to pay. What a purchase followed by sleeping workers raised falls again, a
        # quarter per call, as it rose. Without this, three pauses of the program longer
        # than the spin window at the wrong moments (an interrupt, a page of Python; each
        # made a purchase that the next call found asleep) held a tight loop of 1e5-element
        # float32 adds at 64 wake-ups per purchase for as long as it ran: serial for
        # seconds at 15 us a call, where two threads took 11 us.
        _bought = False
        if _stream_need > 1:
            _stream_need = _stream_need * 0.25 if _stream_need > 4 else 1.0
    _last_want = t + SERIAL_SLOW * serial
    k = <Py_ssize_t>(n / e)
    if k > cap:
        k = cap
    if not sticky:                       # (a sticky call does not make the next sticky)
        _last_n = n
        _last_real = t
    _register_team(cap)
    lc = _load_cap_at(t)
    if k > lc:
        k = lc
        _n_load_capped += 1
    return <int>k


cdef int threads_left_by_processes() noexcept nogil:
    """Threads other processes leave us, this process's other threads not counted (the
    sampler's reading, refreshed if due); MAX_CHUNKS when unknown."""
    cdef int c = _load_cap_at(threads_now())
    return c if _forced_foreign >= 0 else _load_cap_procs


cdef int threads_left() noexcept nogil:
    """Threads everything else leaves us: other processes and this process's threads that
    are not compute threads (the sampler's reading, refreshed if due); MAX_CHUNKS when
    unknown."""
    return _load_cap_at(threads_now())


cdef int threads_for(Py_ssize_t n, int threshold) noexcept nogil:
    return chunks_for(n, threshold, effective_num_threads())


cdef void threads_observe(int k, double t0, double t1, const double *stamps) noexcept nogil:
    global _last_end, _history, _wins, _backoff_until, _backoff_len
    global _n_parallel, _n_lost, _n_backoffs, _max_chunks_seen
    global _fork_join, _wake, _since_derive, _cold_left, _n_recent, _credit
    cdef double work = 0, longest = 0, d, overhead, allow, learned, saved
    cdef double late = 0, early = t1
    cdef double idle = t0 - _last_end
    cdef int c, b
    cdef bint lost, cold, warm = idle <= _spin_window
    if t0 - _last_end > COLD_IDLE:
        _cold_left = COLD_REGIONS
    cold = _cold_left > 0
    _last_end = t1
    if k > _max_chunks_seen:
        _max_chunks_seen = k
    if k < 2:
        return
    for c in range(k):
        d = stamps[2 * c + 1] - stamps[2 * c]
        if stamps[2 * c] > t0 + late:
            late = stamps[2 * c] - t0
        if stamps[2 * c + 1] < early:
            early = stamps[2 * c + 1]
        if d > 0:
            work += d
            if d > longest:
                longest = d
    # A region lost when it took longer than its work done on one thread and MARGIN
    # fork/joins: a thread that starts late leaves its blocks to the others (the chunks
    # balance, _kernels_body.pxi), so a late start of tens of microseconds (the host's
    # steal on the 2-core VM, a quiet machine otherwise) costs about a fork/join, not a
    # chunk. At 0.9x the work, as when the split was static, such regions (a 1e5-element
    # float64 axpy: 37 us against 35 us of work) tripped the guard four times in a
    # thousand calls, each trip 20 ms or more on one thread, and the loop ran 0.75-1.0x
    # NumPy where two threads ran it at 2x. A worker descheduled by another process for
    # a time slice (milliseconds) still makes its region lose by far.
    # A region entered with the workers asleep starts its workers late by design (the
    # policy chose to pay the wake-up): it did not pay only when it took more than that on
    # top, SUSPECT x the measured wake-up. Counting every such region as lost put a loss
    # at the start of each burst of calls, and the probe after each back-off (the workers
    # slept through it) started with one, so one more loss among the next three regions
    # tripped the guard again, for twice as long.
    # The first COLD_REGIONS regions after the process left its workers idle for longer
    # than COLD_IDLE wake idle CPUs (a VM's halted vCPU) and cold caches: on the 2-core
    # VM, after 20 ms idle or more, the first region cost ~170 us and the second ~100 us
    # on top of their work (4-6 us when warm, 10-25 us the measured wake-up), so the guard
    # tripped at the start of every burst of calls and after every back-off (its probe
    # found the workers cold again). They are allowed COLD_WAKE (or the wake-up allowance
    # when larger) and refine no estimate.
    if cold:
        _cold_left -= 1
    allow = (0.0 if warm and not cold else
             SUSPECT * _wake_base if not cold or SUSPECT * _wake_base > COLD_WAKE else COLD_WAKE)
    if not warm and dc_load_int(&_state) == READY:
        # a region the policy threaded knowing its wake-up would cost `learned` (see
        # _wake_after) did not lose by paying about that
        learned = _wake_after(idle, t0)
        if 2 * learned > allow:
            allow = 2 * learned
    saved = LOSS_RATIO * work + MARGIN * _fj_base - (t1 - t0)    # against one thread
    lost = saved + allow < 0
    _n_parallel += 1
    _n_recent += 1
    c = _n_recent % RECENT
    _recent[c][0] = t0
    _recent[c][1] = t1 - t0
    _recent[c][2] = work
    _recent[c][3] = allow
    _recent[c][4] = idle
    _recent[c][5] = lost + 2 * cold
    _recent[c][6] = late
    _recent[c][7] = t1 - early
    if _mode != MODE_AUTO or dc_load_int(&_state) != READY:
        return
    if not warm:
        # the idle bucket's mean: every region entered with the workers idle, the slow ones
        # (a worker descheduled) and the cold ones included
        b = _idle_bucket(idle)
        overhead = (t1 - t0) - longest
        if overhead < 0:
            overhead = 0
        elif overhead > WAKE_CAP:
            overhead = WAKE_CAP
        d = _learned(b, t1) if _wk[b] > 0 else overhead
        d += (overhead - d) * WAKE_WEIGHT
        _wk[b] = d if d > 1e-9 else 1e-9               # > 0: seen
        _wk_t[b] = t1
    # what a region that paid cost beyond its longest chunk: the running fork/join
    # (workers found spinning) or wake-up estimate, each step at most SUSPECT x the last
    # measured value (a worker descheduled by another process is the guard's business, not
    # a cost of this machine); thresholds re-derived every 8 regions
    overhead = (t1 - t0) - longest
    if not lost and not cold:
        if warm:
            if overhead > SUSPECT * _fj_base:
                overhead = SUSPECT * _fj_base
            _fork_join += (overhead - _fork_join) * 0.125
        elif idle < 2 * (1.5 * _spin_window + 20e-6):
            # the measured wake-up's own idle (_measure_wake): longer idles have their
            # learned means instead
            if overhead > SUSPECT * _wake_base:
                overhead = SUSPECT * _wake_base
            _wake += (overhead - _wake) * 0.125
        if _wake < _fork_join:          # waking sleeping workers includes a fork/join
            _wake = _fork_join
        _since_derive += 1
        if _since_derive >= 8:
            _since_derive = 0
            _derive()
    _history = ((_history << 1) | lost) & 0xF
    # What threading saved against running the region's work on one thread, as credit
    # (a sum over the last few hundred regions, each forgetting 1/256 of it, at most 2 ms):
    # the guard trips only when the losses have also spent it, so it trips when threads
    # lose on average, not at every slow region. On the 2-core VM with the host taking
    # 0.04-0.13 cores, threads forced still ran 1e5-element float64 `a + b`, `s*a + b` and
    # `2*a + 3*b*b - c` at 2-4x the serial speed, while the guard, tripping at any two
    # slow regions, ran them serially most of the time (3-6 trips per timing). With the
    # host taking 0.4-0.8 cores, 2-15 % of the regions waited 0.06-9 ms for a descheduled
    # vCPU and threads forced ran up to 4x slower than one thread: the losses then
    # outrun the savings and the guard trips. A worker descheduled for a time slice on every
    # region (another process on its core) spends the credit within a few regions; the
    # sampler then keeps the call on the cores left. A region within its allowance (a
    # wake-up the policy chose to pay) takes nothing; a lost one takes what it cost beyond
    # the allowance.
    _credit -= _credit * CREDIT_DECAY
    if lost:
        _credit += saved + allow
    elif saved > 0:
        _credit += saved
    if _credit > _credit_max:
        _credit = _credit_max
    if lost:
        _n_lost += 1
        _wins = 0
        if (_history & 1) + ((_history >> 1) & 1) + ((_history >> 2) & 1) \
                + ((_history >> 3) & 1) >= 2 and _credit < 0:
            if t1 - _backoff_until > BACKOFF_CONTINUE:
                # A new episode, not the probe that ends a back-off losing again: the
                # back-off starts short. The length grew on every trip and went back only
                # after 32 regions in a row that paid, so the few slow regions that start
                # each burst of calls after a pause (caches and idle CPUs cold: the first
                # calls after 0.3 s idle take 4-6x their time, NumPy's too) raised it trip
                # by trip to 1.3 s, which then covered the next bursts whole: in
                # bench_peers' turns, add at 1e5-1e6 ran serial (1.0x NumPy, numba 1.9x).
                _backoff_len = BACKOFF_FIRST
            _backoff_until = t1 + _backoff_len
            _n_backoffs += 1
            _backoff_len = _backoff_len * 2 if _backoff_len * 2 < BACKOFF_MAX else BACKOFF_MAX
            _history = 0
            _credit = 0
    else:
        _wins += 1
        if _wins >= 32:
            _backoff_len = BACKOFF_FIRST


# ------------------------------------------------------------------ Python face

def set_wait_info(spincount):
    """Spin count the OpenMP runtime of this process uses (None: unknown); `_runtime`
    calls this at import with what it set or found."""
    global _spincount
    _spincount = -1 if spincount is None else float(spincount)
    if _pause > 0:
        _set_spin_window()


def set_cpus(cpus):
    """The CPUs whose load the sampler reads (this process's affinity mask; `_runtime`
    sets it at import). Empty: no sampler (e.g. a cgroup quota below the mask), the guard
    alone."""
    global _ncpu_set, _load_t, _load_next, _load_cap, _load_seen
    cdef int c
    _load_seen = False
    for c in range(MAX_CPUS):
        _cpu_set[c] = 0
    _ncpu_set = 0
    for c in cpus:
        if 0 <= c < MAX_CPUS and not _cpu_set[c]:
            _cpu_set[c] = 1
            _ncpu_set += 1
    _load_t = -1
    _load_next = -1
    _load_cap = MAX_CHUNKS
    if _ncpu_set > 0:
        # The first reading's baseline now (at import), not at the first call that would
        # thread: that call then reads what others did since, LOAD_FIRST later at the
        # earliest. NumPy's OpenBLAS worker busy-yields for ~0.1 s after `import numpy`,
        # on a core our workers need; with the baseline taken at the first call, nothing
        # saw it for 0.1 s, the first regions ran with a worker sharing a core with it
        # (~100 us late each, 3x their work), the guard tripped, and its back-offs and
        # the wake-up they taught the policy kept a 1e5-element float64 add serial (4x
        # slower) for 0.1-0.3 s, in half the fresh processes on the 2-core VM.
        _load_cap_at(threads_now())
        _load_next = _load_t + LOAD_FIRST


def set_foreign_load(foreign, int stolen_cpus=0):
    """Tests: take `foreign` busy cores of other processes (and `stolen_cpus` CPUs the host
    took more than STEAL_SLACK of) as the sampler's reading (None: read /proc/stat
    again). Returns the previous forced value (None if none)."""
    global _forced_foreign, _forced_stolen
    old = None if _forced_foreign < 0 else _forced_foreign
    _forced_foreign = -1 if foreign is None else max(0.0, float(foreign))
    _forced_stolen = stolen_cpus if stolen_cpus > 0 else 0
    return old


def load_cap():
    """Threads other processes leave this process now, and the cores they kept busy over
    the sampler's last window: (threads, foreign cores); reads /proc/stat if due."""
    cdef int c = _load_cap_at(threads_now())
    return (c if c < MAX_CHUNKS else None), (_forced_foreign if _forced_foreign >= 0
                                            else _foreign)


def calibrate():
    """Measure now (once per process; later calls return at once). True when measured."""
    cdef int cap = effective_num_threads()
    if cap < 2:
        return False
    with nogil:
        _ensure_calibrated(cap)
    return _state == READY


def set_mode(str mode):
    """"auto" (the policy), "always" (thread whenever the cap allows: tests) or "never"."""
    global _mode
    old = ("auto", "always", "never")[_mode]
    _mode = {"auto": MODE_AUTO, "always": MODE_ALWAYS, "never": MODE_NEVER}[mode]
    return old


def chunks(Py_ssize_t n, int threshold, int cap=-1, at=None, int itemsize=0):
    """The policy's answer for a call (tests); cap -1: the library's thread count; `at`:
    the call's time on the policy's clock (`now()`), None for now; itemsize > 0: a call on
    elements of that size (chunks_for_size; with `at` None only)."""
    if cap < 0:
        cap = effective_num_threads()
    if itemsize > 0 and at is None:
        return chunks_for_size(n, threshold, cap, itemsize)
    return _chunks_at(n, threshold, cap, -1 if at is None else max(0.0, float(at)))


def next_load_reading():
    """When the sampler reads /proc/stat next (the policy's clock; tests)."""
    return _load_next


def age_load_reading(double seconds, double others=0.0):
    """Tests: make the sampler's last reading `seconds` older (and due now), as if other
    processes had kept `others` cores busy over that time."""
    global _load_t, _load_next, _load_busy
    if _load_t >= 0:
        _load_t -= seconds
        _load_busy -= others * seconds
    _load_next = -1


def wide_ratios():
    """{cost class: measured cost of an 8-byte element / the class's cheapest probe}."""
    calibrate()
    return {cls: _wide[i] for i, cls in enumerate(_CLASS_ORDER)}


def set_costs(fork_join=None, wake=None, remeasure_gap=None):
    """Tests: take these costs (seconds) as measured now (with the sampler's reading as
    it stands) and derive the thresholds from them; None keeps a cost. remeasure_gap: the
    wait before a high fork/join is measured again (seconds). Calibrates first if needed.
    Returns the previous (fork_join, wake)."""
    global _fork_join, _wake, _fj_base, _wake_base, _measure_cap, _remeasure_gap
    calibrate()
    if remeasure_gap is not None:
        _remeasure_gap = float(remeasure_gap)
    old = (_fork_join, _wake)
    _measure_cap = _load_cap_at(threads_now())      # as a measurement would note it
    if fork_join is not None:
        _fork_join = _fj_base = float(fork_join)
    if wake is not None:
        _wake = _wake_base = float(wake)
    if _wake < _fork_join:
        _wake = _wake_base = _fork_join
    _derive()
    return old


def last_region_end():
    """When the last parallel region ended (the policy's clock): workers asleep after that
    plus the spin window."""
    return _last_end


def stats(reset=False):
    """Counters since the last reset: parallel regions, regions that did not pay,
    guard trips, the most chunks (threads) any region used, calls the load sampler held
    below the policy's answer, and re-measurements of the costs."""
    global _n_parallel, _n_lost, _n_backoffs, _max_chunks_seen
    global _n_load_capped, _n_remeasured
    out = {"parallel_regions": _n_parallel, "regions_lost": _n_lost,
           "guard_trips": _n_backoffs, "max_chunks": _max_chunks_seen,
           "load_capped": _n_load_capped, "remeasured": _n_remeasured}
    if reset:
        _n_parallel = _n_lost = _n_backoffs = 0
        _max_chunks_seen = 0
        _n_load_capped = _n_remeasured = 0
    return out


def observe(int k, double t0, double t1, stamps):
    """Report a parallel region as the drivers do (tests of the guard): stamps is
    [start0, end0, start1, end1, ...] for the k chunks."""
    cdef double st[2 * MAX_CHUNKS]
    cdef int i
    if k < 1 or k > MAX_CHUNKS or len(stamps) != 2 * k:
        raise ValueError("need 1 <= k <= %d and 2k stamps" % MAX_CHUNKS)
    for i in range(2 * k):
        st[i] = stamps[i]
    threads_observe(k, t0, t1, st)


def now():
    """The policy's clock (seconds)."""
    return threads_now()


def recent_regions():
    """The last RECENT parallel regions, oldest first: (entry, seconds, summed chunk work,
    allowance, idle before, lost, cold, latest chunk start after entry, exit after the
    earliest chunk end) (diagnostics)."""
    cdef long long i, m = _n_recent if _n_recent < RECENT else RECENT
    out = []
    for i in range(_n_recent - m + 1, _n_recent + 1):
        r = _recent[i % RECENT]
        out.append((r[0], r[1], r[2], r[3], r[4], int(r[5]) & 1, int(r[5]) >> 1, r[6], r[7]))
    return out


def set_guard_credit(double seconds):
    """The most the guard's credit holds (seconds; A/B measurements); returns the previous
    value."""
    global _credit_max, _credit
    old = _credit_max
    _credit_max = seconds if seconds > 0 else 0.0
    if _credit > _credit_max:
        _credit = _credit_max
    return old


def set_sticky(bint on):
    """Whether calls just below their threshold thread after a related region (_sticky;
    A/B measurements); returns the previous setting."""
    global _sticky_on
    old = _sticky_on
    _sticky_on = on
    return old


def reset_guard():
    """Forget the guard's history, leave any back-off and forget when the last region
    ended, the last call wanted threads, the costs were last measured and what regions
    entered after an idle cost (tests, measurements)."""
    global _history, _wins, _backoff_until, _backoff_len, _last_end, _last_want
    global _last_measure, _remeasure_gap, _measure_cap, _cold_left, _stream_gain
    global _stream_need, _bought, _credit
    global _last_real, _last_n
    cdef int b
    _last_real = -1e30
    _last_n = 0
    for b in range(IDLE_BUCKETS):
        _wk[b] = 0
    _stream_gain = 0
    _stream_need = 1
    _bought = False
    _last_end = -1e30
    _cold_left = 0
    _measure_cap = MAX_CHUNKS
    _last_want = -1e30
    _last_measure = 0
    _remeasure_gap = REMEASURE_FIRST
    _history = 0
    _credit = 0
    _wins = 0
    _backoff_until = 0
    _backoff_len = BACKOFF_FIRST


def serial_tiers():
    """{cost class: {operand size (bytes, lower edge): learned serial cost / model}} for
    the sizes seen (threads_for_ew)."""
    names = ("cheap", "medium", "expensive", "reduction")
    return {names[i]: {TIER_MIN_BYTES << t: round(exp(_tier[i][t]), 2)
                       for t in range(TIERS) if _tier[i][t] > 0}
            for i in range(4)}


def reset_serial_tiers():
    """Forget the learned serial costs by size (tests, measurements)."""
    cdef int i, t
    for i in range(4):
        for t in range(TIERS):
            _tier[i][t] = 0


def note_serial(Py_ssize_t n, int threshold, int itemsize, double seconds,
                bint reduction=False):
    """Report a serial element-wise call (a reduction's) as the drivers do (tests);
    returns whether a driver would have timed it (threads_time_serial)."""
    timed = threads_time_serial(n, threshold, itemsize)
    _note_row(RED_ROW if reduction else -1, n, threshold, itemsize, seconds)
    return timed


def chunks_ew(Py_ssize_t n, int threshold, int itemsize, bint reduction=False):
    """The policy's answer for an element-wise call (threads_for_ew) or a reduction's
    (threads_for_red; tests)."""
    return _for_row(RED_ROW if reduction else -1, n, threshold, itemsize)


def policy_info():
    """Measured costs (µs, ns) and the thresholds in force (elements), for show_runtime."""
    names = ("cheap", "medium", "expensive")
    info = {"calibrated": _state == READY, "mode": ("auto", "always", "never")[_mode]}
    if _state != READY:
        return info
    info.update({
        "threads_measured": _calibrated_threads,
        "pause_ns": round(_pause * 1e9, 1),
        "spin_window_us": round(_spin_window * 1e6, 1),
        "fork_join_us": round(_fork_join * 1e6, 2),
        "wake_us": round(_wake * 1e6, 2),
        "remeasure_gap_ms": round(_remeasure_gap * 1e3, 1),
    })
    for i in range(3):
        info[f"ns_per_element_{names[i]}"] = round(_cost[_CLASS_ORDER[i]] * 1e9, 3)
    for i in range(3):
        info[f"wide_ratio_{names[i]}"] = round(_wide[i], 2)
    for i in range(3):
        info[f"min_chunk_{names[i]}"] = int(_thr[i])
    for i in range(3):
        info[f"min_chunk_{names[i]}_asleep"] = int(_thr[i] * _wake_mult)
    now = threads_now()
    info["wake_after_idle_us"] = wake_after_idle(now) or "none learned"
    tiers = {k: v for k, v in serial_tiers().items() if v}
    info["serial_cost_by_size"] = ({k: {(f"{b >> 20}M" if b >= 1 << 20 else f"{b >> 10}K"):
                                        r for b, r in v.items()} for k, v in tiers.items()}
                                   or "none learned")
    lc, foreign = load_cap()
    info["other_processes"] = (("off (no /proc/stat or a cgroup quota): guard only"
                                if _ncpu_set == 0 and _forced_foreign < 0 else
                                "%.2f of %d cores busy, host steal %.2f cores (%d CPUs "
                                "over half), threads left %s"
                                % (foreign, _ncpu_set, _steal, _stolen,
                                   "all" if lc is None else lc)))
    info["guard"] = ("one thread for %.0f ms more" % ((_backoff_until - now) * 1e3)
                     if now < _backoff_until else "threads allowed")
    info.update(stats())
    return info


def wake_after_idle(at=None):
    """{idle bucket's lower edge (us): the mean cost (us) beyond their work of the regions
    entered after the workers idled that long, as the policy uses it at time `at` (None:
    now)}, for the buckets seen (see _wake_after)."""
    cdef double t = threads_now() if at is None else float(at)
    return {int(round(IDLE_BASE * 1e6 * (1 << b))) if b else 0: round(_learned(b, t) * 1e6, 1)
            for b in range(IDLE_BUCKETS) if _wk[b] > 0}


def wake_cost(double idle, at=None):
    """The cost (seconds) the policy expects beyond its work of a region entered at `at`
    (None: now) after the workers idled `idle` seconds (tests)."""
    return _wake_after(idle, threads_now() if at is None else float(at))


def thresholds():
    """{cost class: (smallest chunk with workers spinning, with workers asleep)}, elements;
    calibrates first when it can (two threads allowed)."""
    calibrate()
    return {cls: (_thr[i], _thr[i] * _wake_mult) for i, cls in enumerate(_CLASS_ORDER)}
