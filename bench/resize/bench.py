#!/usr/bin/python3
"""bench/resize: imgq-resize against its peers, side by side, in one run.

    bench/resize/run [-r ROUNDS] [-l LIMIT] [--base BIN] [--gm]
                     [--no-parallel] [CORPUS]

Jobs, on every JPEG of CORPUS (default: the photo corpus that scripts/corpus
builds, bench/corpus or IMGQ_CORPUS):
  (a) one preset: the 1024-pixel JPEG (fit inside 1024x1024), quality 85
  (b) both shipped presets (etc/presets): (a) and a 256-pixel WebP (fit
      inside 256x256), quality 80

Peers (one process per image unless said):
  imgq        imgq-resize (b: -p etc/presets), as the pipeline runs it
  imgq-base   another imgq-resize binary (--base), e.g. the last release
  vips        vipsthumbnail (b: a second run for the thumbnail)
  vips-list   vipsthumbnail, one process for the whole list (per image:
              total / images)
  pil-orig    Pillow as the original design's worker used it, in one
              process: exif_transpose, thumbnail() (its default filter
              and reducing gap), save at quality 85 (b: the thumbnail
              made from that image the same way)
  pil-draft   Pillow with draft() (JPEG DCT scaling), Lanczos, in one process
  pil         Pillow without draft, Lanczos, in one process
  gm-hint     gm convert with the size hint (-size), only with --gm
  djpeg       djpeg, full-size decode to /dev/null: the floor

The run is ROUNDS rounds; each round takes every image in turn and runs
every per-process peer on it once, so that a change in the machine's load
hits them all.  Reported per peer and job: CPU (user + system) and wall
milliseconds per image, each the median over rounds of the round's median
over images, and peak RSS.  Ratios are formed within each round and
reported as the median over rounds with their range (min..max): each
image's ratio of CPU between two peers run side by side, then the median
over images.  The machine may be shared, and ratios measured side by side
are what to compare.  Then PSNR, per image, of each peer's (a) output against a
careful reference: the source decoded whole by Pillow, turned upright,
scaled to the output's size by Lanczos in floating point, per channel.
"""
import argparse
import concurrent.futures
import glob
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy
from PIL import Image, ImageOps

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
IMGQ = os.environ.get('IMGQ_RESIZE', os.path.join(TOP, 'bin', 'imgq-resize'))
PRESETS = os.path.join(TOP, 'etc', 'presets')


def run_proc(cmd):
    """Runs cmd; returns (wall seconds, CPU seconds of the child)."""
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, '/dev/null', os.O_WRONLY, 0)])
    _, st, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t
    if st != 0:
        raise RuntimeError('%s: status %d' % (' '.join(cmd), st))
    return dt, ru.ru_utime + ru.ru_stime


def peak_rss(cmd):
    """Peak RSS in KiB of one more, untimed run, measured by GNU time (a
    child's own rusage would include this Python process, copied at fork)."""
    with tempfile.NamedTemporaryFile('r') as f:
        subprocess.run(['/usr/bin/time', '-f', '%M', '-o', f.name] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        return int(f.read().split()[-1])


def stem(f):
    """A file's name without .jpg, in the characters a variant name may
    have: every peer's (a) output is <stem>.jpg."""
    return re.sub('[^A-Za-z0-9_-]', '_',
                  os.path.splitext(os.path.basename(f))[0])[:64]


# Per-image commands: (job, peer) -> function(file, outdir) -> [argv, ...]
def imgq(binary, job):
    def cmd(f, d):
        if job == 'a':
            return [[binary, '-o', d, '-v',
                     stem(f) + ':1024x1024:fit:jpeg:q85', f]]
        return [[binary, '-o', d, '-p', PRESETS, f]]
    return cmd


def vips_a(f, d):
    return [['vipsthumbnail', f, '-s', '1024x1024>',
             '-o', os.path.join(d, '%s.jpg[Q=85,strip]')]]


def vips_b(f, d):
    return vips_a(f, d) + [['vipsthumbnail', f, '-s', '256x256>', '-o',
                            os.path.join(d, '%s-t.webp[Q=80,strip]')]]


def gm_hint(job):
    def cmd(f, d):
        c = ['gm', 'convert', '-size', '1024x1024', f, '-auto-orient',
             '-resize', '1024x1024>', '-quality', '85', '-strip']
        if job == 'b':
            c += ['-write', os.path.join(d, stem(f) + '.jpg'), '-resize',
                  '256x256>', '-quality', '80',
                  os.path.join(d, stem(f) + '-t.webp')]
        else:
            c.append(os.path.join(d, stem(f) + '.jpg'))
        return [c]
    return cmd


def djpeg(f, d):
    return [['djpeg', '-outfile', '/dev/null', f]]


def pil_job(f, d, how, thumb):
    im = Image.open(f)
    if how == 'orig':
        # the original design's worker (seed-reference/worker/worker.py)
        im = ImageOps.exif_transpose(im)
        im.thumbnail((1024, 1024))
        if im.mode not in ('RGB', 'L'):
            im = im.convert('RGB')
        big = im
    else:
        if how == 'draft':
            im.draft('RGB', (1024, 1024))
        im = ImageOps.exif_transpose(im).convert('RGB')
        w, h = im.size
        s = min(1024 / w, 1024 / h, 1.0)
        big = im.resize((max(1, round(w * s)), max(1, round(h * s))),
                        Image.Resampling.LANCZOS) if s < 1 else im
    big.save(os.path.join(d, stem(f) + '.jpg'), quality=85)
    if thumb:
        t = big.copy()
        if how == 'orig':
            t.thumbnail((256, 256))
        else:
            w, h = t.size
            s = min(256 / w, 256 / h, 1.0)
            t = t.resize((max(1, round(w * s)), max(1, round(h * s))),
                         Image.Resampling.LANCZOS)
        t.save(os.path.join(d, stem(f) + '-t.webp'), quality=80)


def pil_once(f, d, how, thumb):
    """In this process: (wall, CPU) seconds of one job."""
    t, c = time.perf_counter(), time.process_time()
    pil_job(f, d, how, thumb)
    return time.perf_counter() - t, time.process_time() - c


def pil_worker(args):
    files, d, how, thumb = args
    for f in files:
        pil_job(f, d, how, thumb)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def megapixels(f):
    w, h = Image.open(f).size
    return w * h / 1e6


class Reference:
    """The float Lanczos reference of each image at each size, cached on
    disk in the work directory (the whole-image decode is the slow part)."""

    def __init__(self, d):
        self.d = d
        self.src = (None, None)

    def get(self, f, size):
        p = os.path.join(self.d, '%s-%dx%d.npy' % (stem(f), size[0],
                                                   size[1]))
        if os.path.exists(p):
            return numpy.load(p)
        if self.src[0] != f:
            im = ImageOps.exif_transpose(Image.open(f)).convert('RGB')
            self.src = (f, im.split())
        a = numpy.stack([numpy.asarray(
            c.convert('F').resize(size, Image.Resampling.LANCZOS),
            dtype=numpy.float64) for c in self.src[1]], axis=2)
        a = numpy.clip(a, 0, 255)
        numpy.save(p, a)
        return a


def psnr_of(path, f, ref):
    im = Image.open(path).convert('RGB')
    x = numpy.asarray(im, dtype=numpy.float64)
    y = ref.get(f, im.size)
    mse = float(((x - y) ** 2).mean())
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def spread(vals):
    return '%.2f (%.2f..%.2f)' % (statistics.median(vals), min(vals),
                                  max(vals))


def fresh(d, s, r):
    """A new, empty output directory for one run: outputs never replace
    files (as in the pipeline, which writes each job's outputs afresh;
    ext4 starts writeback when rename(2) or truncation replaces one)."""
    p = os.path.join(d, s, str(r))
    os.makedirs(p)
    return p


def rounds(per_proc, in_proc, files, dirs, n):
    """n rounds; in each, every image in turn through every peer once.
    Returns {peer: [{file: (wall, cpu)} per round]}."""
    out = {k: [] for k in list(per_proc) + list(in_proc)}
    for r in range(n):
        cur = {k: {} for k in out}
        for f in files:
            for k, fn in per_proc.items():
                w = c = 0.0
                for cmd in fn(f, fresh(dirs[k], stem(f), r)):
                    dw, dc = run_proc(cmd)
                    w += dw
                    c += dc
                cur[k][f] = (w, c)
            for k, (how, thumb) in in_proc.items():
                cur[k][f] = pil_once(f, fresh(dirs[k], stem(f), r), how,
                                     thumb)
        for k in out:
            out[k].append(cur[k])
        print('# round %d done, load average %.2f' % (r + 1,
                                                      os.getloadavg()[0]),
              file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-r', type=int, default=3, help='rounds')
    ap.add_argument('-l', type=int, default=0, help='at most this many')
    ap.add_argument('--base', help='another imgq-resize to compare with')
    ap.add_argument('--gm', action='store_true', help='gm convert too')
    ap.add_argument('--no-parallel', action='store_true')
    ap.add_argument('corpus', nargs='?')
    a = ap.parse_args()
    if a.corpus is None:
        r = subprocess.run([os.path.join(TOP, 'scripts', 'corpus'), '-p'],
                           stdout=subprocess.PIPE, text=True)
        if r.returncode:
            sys.exit(r.returncode)
        a.corpus = r.stdout.strip()
    files = sorted(glob.glob(os.path.join(a.corpus, '*.jpg')))
    if a.l:
        files = files[:a.l]
    if not files:
        sys.exit('bench: no JPEG in %s' % a.corpus)
    for tool in [IMGQ, 'vipsthumbnail', 'djpeg'] + (['gm'] if a.gm else []):
        if shutil.which(tool) is None:
            sys.exit('bench: %s not found (scripts/deps --bench; make)' %
                     tool)
    mp = {f: megapixels(f) for f in files}
    total_mp = sum(mp.values())
    work = tempfile.mkdtemp(prefix='imgq-bench.')
    print('# %d JPEGs, %.1f MP, median %.1f MP; %d rounds; %s' %
          (len(files), total_mp, statistics.median(mp.values()), a.r,
           time.strftime('%Y-%m-%d %H:%M:%S')))
    print('# imgq-resize %s; vipsthumbnail %s' % (
        IMGQ, subprocess.run(['vipsthumbnail', '--vips-version'],
                             capture_output=True, text=True).stdout.strip()))
    if a.base:
        print('# imgq-base %s' % a.base)
    print('# load average before: %.2f %.2f %.2f' % os.getloadavg())

    per_proc = {}
    for job in ('a', 'b'):
        per_proc[(job, 'imgq')] = imgq(IMGQ, job)
        if a.base:
            per_proc[(job, 'imgq-base')] = imgq(a.base, job)
        per_proc[(job, 'vips')] = vips_a if job == 'a' else vips_b
        if a.gm:
            per_proc[(job, 'gm-hint')] = gm_hint(job)
    per_proc[('a', 'djpeg')] = djpeg
    in_proc = {}
    for job in ('a', 'b'):
        for how in ('orig', 'draft', 'full'):
            name = {'orig': 'pil-orig', 'draft': 'pil-draft',
                    'full': 'pil'}[how]
            in_proc[(job, name)] = (how, job == 'b')
    dirs = {}
    for k in list(per_proc) + list(in_proc) + [('a', 'vips-list'),
                                               ('b', 'vips-list')]:
        dirs[k] = os.path.join(work, k[0] + '-' + k[1])
        os.makedirs(dirs[k])
    res = rounds(per_proc, in_proc, files, dirs, a.r)
    # vipsthumbnail, one process for the whole list, once a round
    for job in ('a', 'b'):
        res[(job, 'vips-list')] = []
        for r in range(a.r):
            d = fresh(dirs[(job, 'vips-list')], 'all', r)
            cmds = [['vipsthumbnail', '-s', '1024x1024>', '-o',
                     os.path.join(d, '%s.jpg[Q=85,strip]')] + files]
            if job == 'b':
                cmds.append(['vipsthumbnail', '-s', '256x256>', '-o',
                             os.path.join(d, '%s-t.webp[Q=80,strip]')] +
                            files)
            w = c = 0.0
            for cmd in cmds:
                dw, dc = run_proc(cmd)
                w += dw
                c += dc
            res[(job, 'vips-list')].append(
                {f: (w / len(files), c / len(files)) for f in files})
    # peak RSS: the three largest images, one more run each
    big = sorted(files, key=lambda f: mp[f])[-3:]
    rss = {k: max(peak_rss(c) for f in big
                  for c in fn(f, fresh(dirs[k], stem(f), 'rss')))
           for k, fn in per_proc.items()}

    def per_round(k, i):
        """Median over images of each round: list over rounds."""
        return [statistics.median(r[f][i] for f in files) for r in res[k]]

    def ratio(k1, k2, i=1):
        """Per round, the median over images of each image's ratio (both
        runs of an image were side by side): a list over rounds."""
        return [statistics.median(r1[f][i] / r2[f][i] for f in files)
                for r1, r2 in zip(res[k1], res[k2])]

    order = ['imgq', 'imgq-base', 'vips', 'vips-list', 'gm-hint', 'pil-orig',
             'pil-draft', 'pil', 'djpeg']
    print()
    print('# ms: median over rounds of the median over images; ratios: '
          'each image\'s CPU')
    print('# against the other peer\'s on the same image in the same round, '
          'median over images,')
    print('# then median (min..max) over rounds')
    print('%-4s %-10s %8s %8s %8s %8s %-20s %-20s' %
          ('job', 'peer', 'CPU ms', 'wall ms', 'MP/s', 'RSS MiB',
           'x djpeg (CPU)', 'x imgq (CPU)'))
    for job in ('a', 'b'):
        for name in order:
            k = (job, name)
            if k not in res:
                continue
            cpu = statistics.median(per_round(k, 1))
            wall = statistics.median(per_round(k, 0))
            tot = statistics.median([sum(r[f][1] for f in files)
                                     for r in res[k]])
            print('%-4s %-10s %8.1f %8.1f %8.1f %8s %-20s %-20s' % (
                job, name, cpu * 1e3, wall * 1e3, total_mp / tot,
                '%.0f' % (rss[k] / 1024) if k in rss else '-',
                spread(ratio(k, ('a', 'djpeg'))),
                spread(ratio(k, (job, 'imgq')))))

    # quality of (a), every image
    ref = Reference(os.path.join(work, 'ref'))
    os.makedirs(ref.d)
    qpeers = [p for p in ['imgq', 'imgq-base', 'vips', 'pil-orig',
                          'pil-draft', 'pil'] if ('a', p) in res]
    q = {p: {} for p in qpeers}
    for f in files:
        for p in qpeers:
            q[p][f] = psnr_of(os.path.join(dirs[('a', p)], stem(f), '0',
                                           stem(f) + '.jpg'), f, ref)
    print()
    print('# PSNR dB of the 1024-pixel JPEG against the float Lanczos '
          'reference')
    print('%-36s %9s' % ('image', 'WxH') + ''.join('%10s' % p
                                                    for p in qpeers) +
          '%10s' % 'imgq-vips')
    for f in files:
        w, h = Image.open(f).size
        print('%-36s %9s' % (stem(f)[:36], '%dx%d' % (w, h)) +
              ''.join('%10.2f' % q[p][f] for p in qpeers) +
              '%+10.2f' % (q['imgq'][f] - q['vips'][f]))
    print('%-36s %9s' % ('median', '') + ''.join(
        '%10.2f' % statistics.median(q[p].values()) for p in qpeers) +
        '%+10.2f' % statistics.median(q['imgq'][f] - q['vips'][f]
                                      for f in files))
    d = [q['imgq'][f] - q['vips'][f] for f in files]
    print('imgq - vips: worst %+.2f dB, %d of %d images more than 0.3 dB '
          'below' % (min(d), sum(x < -0.3 for x in d), len(d)))
    if 'imgq-base' in q:
        d = [q['imgq'][f] - q['imgq-base'][f] for f in files]
        print('imgq - imgq-base: worst %+.2f dB, %d of %d images below' %
              (min(d), sum(x < 0 for x in d), len(d)))

    if not a.no_parallel:
        print()
        print('# 2 processes at a time (throughput: wall / images)')
        print('%-4s %-10s %9s %8s' % ('job', 'peer', 'ms/img', 'MP/s'))
        par = {}
        for k, fn in per_proc.items():
            par[k] = parallel(files, fn, os.path.join(work, 'p-' + k[0] +
                                                      '-' + k[1]))
            print('%-4s %-10s %9.1f %8.1f' % (
                k[0], k[1], par[k] / len(files) * 1000, total_mp / par[k]))
        for job in ('a', 'b'):
            for how, name in (('orig', 'pil-orig'),):
                d = fresh(work, 'p-' + job + '-' + name, 'p')
                halves = [files[0::2], files[1::2]]
                t = time.perf_counter()
                with concurrent.futures.ProcessPoolExecutor(2) as ex:
                    list(ex.map(pil_worker, [(h, d, how, job == 'b')
                                             for h in halves]))
                t = time.perf_counter() - t
                print('%-4s %-10s %9.1f %8.1f' % (
                    job, name, t / len(files) * 1000, total_mp / t))
        print('2 procs: (a) imgq / djpeg   %.2f' %
              (par[('a', 'imgq')] / par[('a', 'djpeg')]))
        print('2 procs: (b) / (a) for imgq %.2f' %
              (par[('b', 'imgq')] / par[('a', 'imgq')]))

    print()
    print('# goals (CPU, one process per image; median (min..max) over '
          'rounds)')
    print('(b) / (a) for imgq                %s  (goal <= 1.10)' %
          spread(ratio(('b', 'imgq'), ('a', 'imgq'))))
    print('(b) imgq / djpeg full decode      %s  (goal <= 1.10)' %
          spread(ratio(('b', 'imgq'), ('a', 'djpeg'))))
    print('(a) imgq / djpeg full decode      %s' %
          spread(ratio(('a', 'imgq'), ('a', 'djpeg'))))
    print('(a) imgq / vips whole list        %s  (goal < 1)' %
          spread(ratio(('a', 'imgq'), ('a', 'vips-list'))))
    print('(a) vips per image / imgq         %s  (goal >= 1.8)' %
          spread(ratio(('a', 'vips'), ('a', 'imgq'))))
    if a.base:
        print('(b) / (a) for imgq-base           %s' %
              spread(ratio(('b', 'imgq-base'), ('a', 'imgq-base'))))
        print('(b) imgq-base / djpeg             %s' %
              spread(ratio(('b', 'imgq-base'), ('a', 'djpeg'))))
    d = [q['imgq'][f] - q['vips'][f] for f in files]
    print('PSNR imgq - vips, worst image     %+.2f dB (goal >= -0.3)' %
          min(d))
    print('# load average after: %.2f %.2f %.2f' % os.getloadavg())
    if os.environ.get('BENCH_KEEP'):
        print('# outputs kept in', work)
    else:
        shutil.rmtree(work)


def parallel(files, fn, d, jobs=2):
    def one(f):
        for cmd in fn(f, fresh(d, stem(f), 'p')):
            run_proc(cmd)
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        list(ex.map(one, files))
    return time.perf_counter() - t


if __name__ == '__main__':
    main()
