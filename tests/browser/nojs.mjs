// nojs.mjs: the upload page in Debian's chromium with JavaScript off,
// driven by playwright-core.  The plain form posts one file, the browser
// follows the 303 to the status page, which reloads itself (meta refresh)
// until the job is done; then the page must show the file's name and its
// variants as links and images that load.  Prints TAP.
//
//   node nojs.mjs [-o SHOT.png] [-w SECONDS] URL FILE
//
// -o: a full-page screenshot at the end; -w: how long the job may take
// (default 120 s).  Exit status: 0 when every check passed, 1 when one
// failed, 2 on bad usage or when the browser could not be started.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { die, options, run, tap } from './lib.mjs';

const usage = 'usage: nojs.mjs [-o SHOT.png] [-w SECONDS] URL FILE';
const { shot, waitS, rest } = options(process.argv.slice(2), usage, 120);
if (rest.length !== 2)
	die(usage);
const [url, file] = rest;
if (!existsSync(file))
	die(`nojs.mjs: fatal: ${file}: no such file`);

const ok = tap.ok.bind(tap);
const statusUrl = /\/status\?jobs=([0-9a-z]{26})$/;

tap.plan(6);
await run('nojs.mjs', async (page) => {
	await page.goto(url);
	ok(await page.locator('#empty').isVisible(),
	    'the page without its script is the plain form');
	await page.setInputFiles('#files', file);
	await Promise.all([page.waitForURL(statusUrl), page.click('#send')]);
	const m = statusUrl.exec(page.url());
	ok(m !== null, 'the form lands on the status page of its job',
	    page.url());
	console.log(`# job ${basename(file)} ${m ? m[1] : '-'}`);
	// The page reloads itself every 2 s while the job is not final.
	const end = Date.now() + waitS * 1000;
	let state = null, loads = 0;
	page.on('load', () => loads++);
	while (Date.now() < end) {
		state = await page.locator('li.file').first()
		    .getAttribute('data-state').catch(() => null);
		if (state === 'done' || state === 'dead')
			break;
		await page.waitForTimeout(250);
	}
	ok(state === 'done', 'the job is shown done', `state ${state}, ` +
	    `${loads} reloads`);
	const name = await page.locator('.file-name').first().textContent();
	ok(name === basename(file), 'the page names the file', `name ${name}`);
	const hrefs = await page.locator('.variants a').evaluateAll((as) =>
	    as.map((a) => a.getAttribute('href')));
	ok(hrefs.length > 0 && hrefs.every((h) =>
	    /^jobs\/[0-9a-z]{26}\/result\/[A-Za-z0-9_-]+$/.test(h)),
	    'each variant is a link to its result', hrefs.join(' '));
	await page.waitForLoadState('load');
	const sizes = await page.locator('.variants img').evaluateAll((im) =>
	    im.map((i) => (i.complete ? i.naturalWidth : -1)));
	ok(sizes.length === hrefs.length && sizes.every((w) => w > 0),
	    'each variant image loads', `widths ${sizes.join(' ')}`);
	if (shot)
		await page.screenshot({ path: shot, fullPage: true });
}, { javaScriptEnabled: false });
