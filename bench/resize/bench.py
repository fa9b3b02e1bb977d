#!/usr/bin/python3
"""bench/resize: imgq-resize against its peers, side by side, in one run.

    bench/resize/run [-n REPS] [-l LIMIT] [--no-parallel] [CORPUS]

Jobs, on every JPEG of CORPUS (default ../shared/corpus):
  (a) one JPEG, 1024 pixels (fit inside 1024x1024), quality 85
  (b) (a) plus a 256x256 WebP thumbnail (cover and crop), quality 80

Peers:
  imgq        imgq-resize, one process per image (as the pipeline runs it)
  vips        vipsthumbnail, one process per image
  vips-list   vipsthumbnail, one process for the whole list (ms = total/n)
  gm-hint     gm convert with the size hint (-size)
  gm          gm convert without it
  pil-draft   Pillow with draft() (JPEG DCT scaling), in one process
  pil         Pillow without draft, in one process
  djpeg       djpeg, full-size decode to /dev/null: the floor

Reported per peer and job: median milliseconds per image (the median over
images of each image's median over REPS runs), megapixels of source per
second, peak RSS, and quality as the median PSNR against a careful
reference (Pillow: full-size decode, EXIF orientation, Lanczos to the
output's size).  Then the same list with 2 processes at a time on the 2
cores (throughput: wall time / images).  The machine may be shared:
figures are noisy, ratios from one run are what to compare.
"""
import argparse
import concurrent.futures
import glob
import io
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageOps

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
IMGQ = os.environ.get('IMGQ_RESIZE', os.path.join(TOP, 'bin', 'imgq-resize'))


def run_proc(cmd):
    """Runs cmd; returns its wall time in seconds."""
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(cmd), p.returncode,
                                                p.stderr.decode(
                                                    errors='replace')))
    return dt


def peak_rss(cmd):
    """Peak RSS in KiB of one more, untimed run, measured by GNU time (a
    child's own rusage would include this Python process, copied at fork)."""
    with tempfile.NamedTemporaryFile('r') as f:
        subprocess.run(['/usr/bin/time', '-f', '%M', '-o', f.name] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        return int(f.read().split()[-1])


def stem(f):
    return os.path.splitext(os.path.basename(f))[0]


# Per-image commands: (job, peer) -> function(file, outdir) -> [argv, ...]
def imgq_a(f, d):
    return [[IMGQ, '-o', d, '-v', stem(f) + ':1024x1024:jpeg:q85', f]]


def imgq_b(f, d):
    return [[IMGQ, '-o', d, '-v', stem(f) + ':1024x1024:jpeg:q85',
             '-v', stem(f) + '-t:256x256:fill:webp:q80', f]]


def vips_a(f, d):
    return [['vipsthumbnail', f, '-s', '1024x1024>',
             '-o', os.path.join(d, '%s.jpg[Q=85,strip]')]]


def vips_b(f, d):
    return vips_a(f, d) + [['vipsthumbnail', f, '-s', '256x256', '-m',
                            'centre', '-o',
                            os.path.join(d, '%s-t.webp[Q=80,strip]')]]


def gm_a(hint):
    def cmd(f, d):
        pre = ['-size', '1024x1024'] if hint else []
        return [['gm', 'convert'] + pre + [f, '-auto-orient', '-resize',
                                           '1024x1024>', '-quality', '85',
                                           '-strip',
                                           os.path.join(d, stem(f) + '.jpg')]]
    return cmd


def gm_b(hint):
    def cmd(f, d):
        pre = ['-size', '1024x1024'] if hint else []
        return [['gm', 'convert'] + pre + [
            f, '-auto-orient', '-resize', '1024x1024>', '-quality', '85',
            '-strip', '-write', os.path.join(d, stem(f) + '.jpg'),
            '-resize', '256x256^', '-gravity', 'center', '-extent',
            '256x256', '-quality', '80', os.path.join(d, stem(f) + '-t.webp')]]
    return cmd


def djpeg(f, d):
    return [['djpeg', '-outfile', '/dev/null', f]]


def pil_job(f, d, draft, thumb):
    im = Image.open(f)
    if draft:
        im.draft('RGB', (1024, 1024))
    im = ImageOps.exif_transpose(im).convert('RGB')
    w, h = im.size
    s = min(1024 / w, 1024 / h, 1.0)
    big = im.resize((max(1, round(w * s)), max(1, round(h * s))),
                    Image.Resampling.LANCZOS) if s < 1 else im
    big.save(os.path.join(d, stem(f) + '.jpg'), quality=85)
    if thumb:
        t = ImageOps.fit(big, (256, 256), Image.Resampling.LANCZOS)
        t.save(os.path.join(d, stem(f) + '-t.webp'), quality=80)


def pil_list(files, d, draft, thumb, reps):
    """In this process: per-image median seconds."""
    out = {}
    for f in files:
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            pil_job(f, d, draft, thumb)
            ts.append(time.perf_counter() - t)
        out[f] = statistics.median(ts)
    return out


def pil_worker(args):
    files, d, draft, thumb = args
    for f in files:
        pil_job(f, d, draft, thumb)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def megapixels(f):
    w, h = Image.open(f).size
    return w * h / 1e6


_refs = {}


def reference(f, size):
    key = (f, size)
    if key not in _refs:
        if f not in _refs:
            im = ImageOps.exif_transpose(Image.open(f)).convert('RGB')
            _refs.clear()
            _refs[f] = im
        _refs[key] = _refs[f].resize(size, Image.Resampling.LANCZOS)
    return _refs[key]


def psnr(a, b):
    import numpy
    x = numpy.asarray(a, dtype=numpy.float64)
    y = numpy.asarray(b, dtype=numpy.float64)
    mse = float(((x - y) ** 2).mean())
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def quality(files, d):
    """Median PSNR of d/<stem>.jpg against the reference."""
    vals = []
    for f in files:
        o = os.path.join(d, stem(f) + '.jpg')
        if not os.path.exists(o):
            continue
        out = Image.open(o).convert('RGB')
        vals.append(psnr(out, reference(f, out.size)))
    return statistics.median(vals) if vals else float('nan')


def serial(peers, files, work, reps):
    """Every peer on every image, interleaved (image by image, run by run,
    peer by peer) so that a change in the machine's load hits them all."""
    per = {k: {} for k in peers}
    rss = {k: 0 for k in peers}
    for f in files:
        ts = {k: [] for k in peers}
        for _ in range(reps):
            for k, fn in peers.items():
                ts[k].append(sum(run_proc(c)
                                 for c in fn(f, work[k])))
        for k, fn in peers.items():
            per[k][f] = statistics.median(ts[k])
            rss[k] = max([rss[k]] + [peak_rss(c) for c in fn(f, work[k])])
    return per, rss


def parallel(files, fn, d, jobs=2):
    def one(f):
        for cmd in fn(f, d):
            run_proc(cmd)
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        list(ex.map(one, files))
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-n', type=int, default=3, help='runs per image')
    ap.add_argument('-l', type=int, default=0, help='at most this many')
    ap.add_argument('--no-parallel', action='store_true')
    ap.add_argument('corpus', nargs='?',
                    default=os.path.join(TOP, '..', 'shared', 'corpus'))
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, '*.jpg')))
    if a.l:
        files = files[:a.l]
    if not files:
        sys.exit('bench: no JPEG in %s' % a.corpus)
    for tool in (IMGQ, 'vipsthumbnail', 'gm', 'djpeg'):
        if shutil.which(tool) is None:
            sys.exit('bench: %s not found (scripts/deps --bench; make)' %
                     tool)
    mp = {f: megapixels(f) for f in files}
    total_mp = sum(mp.values())
    work = tempfile.mkdtemp(prefix='imgq-bench.')
    print('# %d JPEGs, %.1f MP, median %.1f MP; %d runs each; %s' %
          (len(files), total_mp, statistics.median(mp.values()), a.n,
           time.strftime('%Y-%m-%d %H:%M:%S')))
    print('# load average before: %.2f %.2f %.2f' % os.getloadavg())

    peers = [
        ('a', 'imgq', imgq_a), ('a', 'vips', vips_a),
        ('a', 'gm-hint', gm_a(True)), ('a', 'gm', gm_a(False)),
        ('a', 'djpeg', djpeg),
        ('b', 'imgq', imgq_b), ('b', 'vips', vips_b),
        ('b', 'gm-hint', gm_b(True)),
    ]
    res = {}
    pd = {(job, name): fn for job, name, fn in peers}
    dirs = {}
    for k in pd:
        dirs[k] = os.path.join(work, k[0] + '-' + k[1])
        os.makedirs(dirs[k])
    per, rss = serial(pd, files, dirs, a.n)
    for k in pd:
        res[k] = dict(per=per[k], rss=rss[k], dir=dirs[k])
    # vipsthumbnail, one process for the whole list
    for job in ('a', 'b'):
        d = os.path.join(work, job + '-vips-list')
        os.makedirs(d)
        ts, rss = [], 0
        cmds = [['vipsthumbnail', '-s', '1024x1024>', '-o',
                 os.path.join(d, '%s.jpg[Q=85,strip]')] + files]
        if job == 'b':
            cmds.append(['vipsthumbnail', '-s', '256x256', '-m', 'centre',
                         '-o', os.path.join(d, '%s-t.webp[Q=80,strip]')] +
                        files)
        for _ in range(a.n):
            ts.append(sum(run_proc(c) for c in cmds))
        rss = max(peak_rss(c) for c in cmds)
        t = statistics.median(ts)
        res[(job, 'vips-list')] = dict(per={f: t / len(files)
                                            for f in files},
                                       rss=rss, dir=d, total=t)
    # Pillow, in this process
    for job in ('a', 'b'):
        for draft in (True, False):
            name = 'pil-draft' if draft else 'pil'
            d = os.path.join(work, job + '-' + name)
            os.makedirs(d)
            per = pil_list(files, d, draft, job == 'b', a.n)
            res[(job, name)] = dict(per=per, rss=resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss, dir=d)

    def med(k):
        return statistics.median(res[k]['per'].values()) * 1000

    def mps(k):
        return total_mp / sum(res[k]['per'].values())

    print()
    print('%-4s %-10s %9s %8s %9s %8s %9s %9s' %
          ('job', 'peer', 'ms/img', 'MP/s', 'RSS MiB', 'PSNR dB', 'x djpeg',
           'x imgq'))
    order = ['imgq', 'vips', 'vips-list', 'gm-hint', 'gm', 'pil-draft',
             'pil', 'djpeg']
    q = {}
    for job in ('a', 'b'):
        for name in order:
            k = (job, name)
            if k not in res:
                continue
            q[k] = quality(files, res[k]['dir']) if name != 'djpeg' else \
                float('nan')
            print('%-4s %-10s %9.0f %8.1f %9.0f %8.2f %9.2f %9.2f' %
                  (job, name, med(k), mps(k), res[k]['rss'] / 1024, q[k],
                   med(k) / med(('a', 'djpeg')), med(k) / med((job, 'imgq'))))
    if not a.no_parallel:
        print()
        print('# 2 processes at a time (throughput: wall / images)')
        print('%-4s %-10s %9s %8s %9s' % ('job', 'peer', 'ms/img', 'MP/s',
                                          'RSS MiB'))
        par = {}
        for job, name, fn in peers:
            if name == 'gm':
                continue
            d = os.path.join(work, 'p' + job + '-' + name)
            os.makedirs(d)
            t = parallel(files, fn, d)
            par[(job, name)] = t
            print('%-4s %-10s %9.0f %8.1f %9.0f' %
                  (job, name, t / len(files) * 1000, total_mp / t,
                   res[(job, name)]['rss'] / 1024))
        for job in ('a', 'b'):
            d = os.path.join(work, 'p' + job + '-vips-list')
            os.makedirs(d)
            halves = [files[0::2], files[1::2]]
            t = time.perf_counter()
            procs = []
            for h in halves:
                cmd = ['vipsthumbnail', '-s', '1024x1024>', '-o',
                       os.path.join(d, '%s.jpg[Q=85,strip]')] + h
                procs.append(subprocess.Popen(cmd))
            for p in procs:
                p.wait()
            if job == 'b':
                procs = [subprocess.Popen(
                    ['vipsthumbnail', '-s', '256x256', '-m', 'centre', '-o',
                     os.path.join(d, '%s-t.webp[Q=80,strip]')] + h)
                    for h in halves]
                for p in procs:
                    p.wait()
            t = time.perf_counter() - t
            par[(job, 'vips-list')] = t
            print('%-4s %-10s %9.0f %8.1f %9s' %
                  (job, 'vips-list', t / len(files) * 1000, total_mp / t,
                   '-'))
            for draft in (True, False):
                name = 'pil-draft' if draft else 'pil'
                d = os.path.join(work, 'p' + job + '-' + name)
                os.makedirs(d)
                t = time.perf_counter()
                with concurrent.futures.ProcessPoolExecutor(2) as ex:
                    rss = max(ex.map(pil_worker,
                                     [(h, d, draft, job == 'b')
                                      for h in halves]))
                t = time.perf_counter() - t
                par[(job, name)] = t
                print('%-4s %-10s %9.0f %8.1f %9.0f' %
                      (job, name, t / len(files) * 1000, total_mp / t,
                       rss / 1024))
    print()
    print('# goals (one process per image unless said)')
    r = med(('a', 'imgq')) / med(('a', 'djpeg'))
    print('(a) imgq / djpeg full decode      %5.2f  (goal <= 1.25)' % r)
    r = med(('a', 'imgq')) / med(('a', 'vips-list'))
    print('(a) imgq / vips whole list        %5.2f  (goal < 1)' % r)
    r = med(('a', 'vips')) / med(('a', 'imgq'))
    print('(a) vips per image / imgq         %5.2f  (goal >= 1.8)' % r)
    r = med(('b', 'imgq')) / med(('a', 'imgq'))
    print('(b) / (a) for imgq                %5.2f  (goal <= 1.10)' % r)
    r = q[('a', 'vips')] - q[('a', 'imgq')]
    print('PSNR vips - imgq                  %5.2f dB (goal <= 0.7)' % r)
    if not a.no_parallel:
        r = par[('a', 'imgq')] / par[('a', 'djpeg')]
        print('2 procs: (a) imgq / djpeg          %5.2f' % r)
        r = par[('a', 'vips')] / par[('a', 'imgq')]
        print('2 procs: (a) vips per image / imgq %5.2f' % r)
        r = par[('a', 'imgq')] / par[('a', 'vips-list')]
        print('2 procs: (a) imgq / vips-list      %5.2f' % r)
    print('# load average after: %.2f %.2f %.2f' % os.getloadavg())
    if os.environ.get('BENCH_KEEP'):
        print('# outputs kept in', work)
    else:
        shutil.rmtree(work)


if __name__ == '__main__':
    main()
