// upload.mjs: the upload page end to end in Debian's chromium, driven by
// playwright-core.  Chooses every file at once through the page's file
// input, waits until each one is finished (done with every variant image
// loaded, or refused, or failed) and checks the outcome; prints TAP.
//
//   node upload.mjs [-o SHOT.png] [-w SECONDS] [-r FILE]... [-f FILE]...
//       URL [FILE...]
//
// FILE: expected to end done with its variants shown as images.
// -r FILE: expected to be refused with a plain message (415 for a type
// the server does not accept, 413 for a too large file).
// -f FILE: expected to be accepted, then to fail in the worker (a corrupt
// image: dead-lettered), shown as failed with the reason.
// -o: a full-page screenshot at the end (also written on failure).
// -w: how long to wait for every file to finish (default 120 s).
// Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage
// or when the browser could not be started.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { die, notPageError, run, tap } from './lib.mjs';

const usage = 'usage: upload.mjs [-o SHOT.png] [-w SECONDS] [-r FILE]... ' +
    '[-f FILE]... URL [FILE...]';
const args = process.argv.slice(2);
let shot = null;
let waitS = 120;
const images = [];
const refused = [];
const failing = [];
let url = null;
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === '-o' && i + 1 < args.length)
		shot = args[++i];
	else if (a === '-w' && i + 1 < args.length)
		waitS = Number(args[++i]);
	else if (a === '-r' && i + 1 < args.length)
		refused.push(args[++i]);
	else if (a === '-f' && i + 1 < args.length)
		failing.push(args[++i]);
	else if (a.startsWith('-'))
		die(usage);
	else if (url === null)
		url = a;
	else
		images.push(a);
}
const all = [...images, ...refused, ...failing];
if (url === null || !(waitS > 0) || all.length === 0)
	die(usage);
for (const f of all) {
	if (!existsSync(f))
		die(`upload.mjs: fatal: ${f}: no such file`);
}

const ok = tap.ok.bind(tap);

const total = all.length;
tap.plan(3 + total);
await run('upload.mjs', async (page, jsErrors) => {
	page.on('console', (m) => {
		// Only the page's own errors count (the expected 415
		// is logged as a failed request).
		if (m.type() === 'error' && !notPageError.test(m.text()))
			jsErrors.push(m.text());
	});
	const resp = await page.goto(url, { waitUntil: 'load' });
	const input = page.locator('input[type=file]');
	const pageOk = resp && resp.status() === 200 &&
	    await input.count() === 1 &&
	    await page.locator('#send').isHidden();
	ok(pageOk, 'the page loads with its file input (script active)',
	    `status ${resp && resp.status()}\n${jsErrors.join('\n')}`);
	if (!pageOk)
		throw new Error('Bail out! the page did not load with its ' +
		    'script');

	await input.setInputFiles(all);

	// Every item finished: done with every variant image loaded or
	// broken, refused, or dead.
	let timedOut = false;
	try {
		await page.waitForFunction((count) => {
			const items = [...document.querySelectorAll('#list > li')];
			if (items.length < count)
				return false;
			return items.every((li) => {
				const s = li.dataset.state;
				if (s === 'refused' || s === 'dead')
					return true;
				if (s !== 'done')
					return false;
				const figs = li.querySelectorAll('figure');
				return figs.length > 0 && [...figs].every((f) =>
				    f.classList.contains('loaded') ||
				    f.classList.contains('broken'));
			});
		}, total, { timeout: waitS * 1000, polling: 200 });
	} catch (e) {
		timedOut = true;
	}

	const items = await page.$$eval('#list > li', (lis) => lis.map((li) => ({
		name: li.querySelector('.file-name').textContent,
		state: li.dataset.state,
		job: li.dataset.job || '',
		status: li.querySelector('.file-status').textContent.trim(),
		progress: !!li.querySelector('progress'),
		variants: [...li.querySelectorAll('figure')].map((f) => {
			const img = f.querySelector('img');
			const a = f.querySelector('a');
			return {
				caption: f.querySelector('figcaption').textContent,
				loaded: f.classList.contains('loaded'),
				w: img.naturalWidth, h: img.naturalHeight,
				href: a ? a.getAttribute('href') : '',
			};
		}),
	})));
	ok(!timedOut, `every file finished within ${waitS} s`,
	    items.map((i) => `${i.name}: ${i.state}: ${i.status}`).join('\n'));

	const byName = new Map(items.map((i) => [i.name, i]));
	for (const f of images) {
		const it = byName.get(basename(f));
		const good = it && it.state === 'done' && it.progress &&
		    it.variants.length > 0 &&
		    it.variants.every((v) => v.loaded && v.w > 0 && v.h > 0 &&
		    /^jobs\/[0-9a-z]+\/result\/[^/]+$/.test(v.href));
		ok(good, `${basename(f)}: done, ${it ? it.variants.length : 0} ` +
		    `variants shown as images`, it ? `state ${it.state}: ` +
		    `${it.status}\n${JSON.stringify(it.variants)}` :
		    'not on the page');
		if (it) {
			if (it.job)
				console.log(`# job ${basename(f)} ${it.job}`);
			for (const v of it.variants)
				console.log(`# variant ${basename(f)} ${v.caption}`);
		}
	}
	for (const f of refused) {
		const it = byName.get(basename(f));
		const good = it && it.state === 'refused' &&
		    /^Refused \((413|415)[ )]/.test(it.status) &&
		    /Server said: ./.test(it.status) &&
		    it.variants.length === 0 && it.job === '';
		ok(good, `${basename(f)}: refused with the server's message`,
		    it ? `state ${it.state}: ${it.status}` : 'not on the page');
		if (it)
			console.log(`# refusal ${basename(f)}: ${it.status}`);
	}
	for (const f of failing) {
		const it = byName.get(basename(f));
		const good = it && it.state === 'dead' && it.job !== '' &&
		    /^Failed: \S/.test(it.status) && it.variants.length === 0;
		ok(good, `${basename(f)}: accepted, then shown as failed with ` +
		    'the reason', it ? `state ${it.state}: ${it.status}` :
		    'not on the page');
		if (it) {
			console.log(`# job ${basename(f)} ${it.job}`);
			console.log(`# failure ${basename(f)}: ${it.status}`);
		}
	}
	ok(jsErrors.length === 0, 'no script error on the page',
	    jsErrors.join('\n'));
	if (shot)
		await page.screenshot({ path: shot, fullPage: true });
});
