// dashboard.mjs: the dashboard page in Debian's chromium, driven by
// playwright-core.  Checks that it shows the sign-in form while its API
// answers 401, signs in with the operator token (IMGQ_ADMIN_TOKEN), then
// the queue figures, the recent jobs with their thumbnails, a dead letter
// with its reason, requeues it with the button, and signs out; prints TAP.
//
//   node dashboard.mjs [-o SHOT.png] [-w SECONDS] URL DONE DEAD_ID
//
// URL: the dashboard (…/dashboard).  DONE: how many recent jobs must show
// a loaded thumbnail.  DEAD_ID: the job that must be listed as a dead
// letter; its Requeue button is pressed and the server must accept it.
// Exit status: 0 when every check passed, 1 when one failed, 2 on bad
// usage or when the browser could not be started.
import { die, options, run, tap } from './lib.mjs';

const usage = 'usage: dashboard.mjs [-o SHOT.png] [-w SECONDS] URL DONE ' +
    'DEAD_ID';
const { shot, waitS, rest } = options(process.argv.slice(2), usage, 60);
if (rest.length !== 3 || !/^\d+$/.test(rest[1]) ||
    !/^[0-9a-z]+$/.test(rest[2]))
	die(usage);
const [url, doneArg, deadId] = rest;
const nDone = Number(doneArg);

const ok = tap.ok.bind(tap);

const token = process.env.IMGQ_ADMIN_TOKEN || '';
if (token === '')
	die('dashboard.mjs: IMGQ_ADMIN_TOKEN is not set');

tap.plan(8);
await run('dashboard.mjs', async (page, jsErrors) => {
	const resp = await page.goto(url, { waitUntil: 'load' });
	let form = true;
	try {
		await page.locator('#signin').waitFor({ state: 'visible',
		    timeout: waitS * 1000 });
	} catch (e) {
		form = false;
	}
	const anon = await page.evaluate(() => fetch('api/stats')
	    .then((r) => r.status)).catch(() => 0);
	ok(form && anon === 401 && await page.locator('#board').isHidden(),
	    'without the cookie: the sign-in form, and the API answers 401',
	    `form ${form}, api/stats ${anon}`);
	await page.locator('#token').fill(token);
	await page.getByRole('button', { name: 'Sign in' }).click();
	let loaded = true;
	try {
		await page.waitForFunction(() => /^Updated /.test(
		    document.getElementById('updated').textContent),
		    null, { timeout: waitS * 1000, polling: 200 });
	} catch (e) {
		loaded = false;
	}
	const problem = await page.locator('#problem').textContent()
	    .catch(() => '');
	ok(resp && resp.status() === 200 && loaded,
	    'the dashboard loads and reads the statistics',
	    `status ${resp && resp.status()}; ${problem}\n${jsErrors.join('\n')}`);
	if (!loaded)
		throw new Error('Bail out! the dashboard did not load its ' +
		    'statistics');

	const cards = await page.$$eval('.card dd', (dds) =>
	    dds.map((d) => d.textContent.trim()));
	ok(cards.length === 6 && cards.every((t) => /^[0-9][0-9,.]*$/.test(t)),
	    'the six queue figures are numbers', JSON.stringify(cards));

	// The thumbnails of finished jobs, loaded from their presigned URLs.
	let thumbs = 0;
	try {
		await page.waitForFunction((want) => [...document.querySelectorAll(
		    '#recent img.thumb')].filter((i) => i.complete &&
		    i.naturalWidth > 0).length >= want, nDone,
		    { timeout: waitS * 1000, polling: 200 });
	} catch (e) { /* counted below */ }
	thumbs = await page.$$eval('#recent img.thumb', (is) =>
	    is.filter((i) => i.complete && i.naturalWidth > 0).length);
	ok(thumbs >= nDone, `at least ${nDone} recent jobs show a thumbnail`,
	    `${thumbs} loaded`);

	const row = page.locator('#dead tr', { hasText: deadId });
	const reason = await row.locator('td.reason').textContent()
	    .catch(() => null);
	ok(reason !== null && reason.trim().length > 0 &&
	    !/no reason recorded/.test(reason),
	    `dead letter ${deadId} is listed with its reason`,
	    `reason: ${reason}`);
	if (reason !== null)
		console.log(`# reason ${deadId}: ${reason.trim()}`);

	let requeued = false;
	let diag = '';
	try {
		const [answer] = await Promise.all([
			page.waitForResponse((r) => r.url().endsWith(
			    `/api/dead/${deadId}/requeue`), { timeout: 20000 }),
			row.getByRole('button', { name: /^Requeue/ }).click(),
		]);
		diag = `${answer.status()} ${await answer.text()}`;
		await page.waitForFunction((id) => document.getElementById(
		    'notice').textContent === `Job ${id} is back in the queue.`,
		    deadId, { timeout: 20000 });
		requeued = answer.status() === 200;
	} catch (e) {
		diag += ` ${e.message}`;
	}
	ok(requeued, `the Requeue button requeues ${deadId}`, diag);
	// Signing out: the form again, and the API closed to this browser.
	await page.getByRole('button', { name: 'Sign out' }).click();
	let out = true;
	try {
		await page.locator('#signin').waitFor({ state: 'visible',
		    timeout: 20000 });
	} catch (e) {
		out = false;
	}
	const after = await page.evaluate(() => fetch('api/stats')
	    .then((r) => r.status)).catch(() => 0);
	ok(out && after === 401, 'signing out shows the form; the API ' +
	    'answers 401 again', `form ${out}, api/stats ${after}`);
	ok(jsErrors.length === 0, 'no script error on the page',
	    jsErrors.join('\n'));
	if (shot)
		await page.screenshot({ path: shot, fullPage: true });
});
