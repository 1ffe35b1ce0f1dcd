"""Copy a source tree onto another, writing only files whose bytes differ (so setup.py's
timestamp checks rebuild only what changed).  Used to move a checkout onto a GPU machine's
build folder: python tools/sync_tree.py SRC DST."""
import os
import shutil
import sys


def main(src, dst):
    n = 0
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            a, b = os.path.join(root, f), os.path.join(dst, rel, f)
            try:
                with open(a, "rb") as fa, open(b, "rb") as fb:
                    if fa.read() == fb.read():
                        continue
            except OSError:
                pass
            shutil.copyfile(a, b)
            n += 1
    print(f"sync_tree: {n} files written")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
