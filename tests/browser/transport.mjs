// transport.mjs: how the upload page follows a job, in Debian's chromium
// driven by playwright-core.  Opens URL with ?transport=T (unless T is
// "auto"), uploads FILE and checks that the job ends done with its
// variants shown, that the page followed it by the transport E (default
// T) and used no other; prints TAP.
//
//   node transport.mjs [-w SECONDS] [-e E] [-m | -b] -t ws|sse|poll|auto URL FILE
//
// -m: answer the page's WebSocket (events/ws) here, by the protocol of
// imgq-events(8) ({"follow":[ID]} in; {"event":STATE,"id":ID,"eid":...,
// "job":RECORD} out), reading the record from the server's GET
// jobs/<id>: for a stack without imgq-events.  -b: every WebSocket of
// the page fails its handshake (as behind a proxy that does not pass
// WebSocket), to see the fallback whatever the server.  Exit status: 0 when every check
// passed, 1 when one failed, 2 on bad usage or when the browser could not
// be started.
import { basename } from 'node:path';
import { die, notPageError, run, tap } from './lib.mjs';

const usage = 'usage: transport.mjs [-w SECONDS] [-e E] [-m | -b] ' +
    '-t ws|sse|poll|auto URL FILE';
const args = process.argv.slice(2);
let waitS = 60;
let forced = '';
let expect = '';
let mock = false;
let block = false;
const rest = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '-w' && i + 1 < args.length)
		waitS = Number(args[++i]);
	else if (args[i] === '-t' && i + 1 < args.length)
		forced = args[++i];
	else if (args[i] === '-e' && i + 1 < args.length)
		expect = args[++i];
	else if (args[i] === '-m')
		mock = true;
	else if (args[i] === '-b')
		block = true;
	else if (args[i].startsWith('-'))
		die(usage);
	else
		rest.push(args[i]);
}
const kinds = ['ws', 'sse', 'poll'];
if (rest.length !== 2 || !(waitS > 0) ||
    ![...kinds, 'auto'].includes(forced) ||
    (expect !== '' && !kinds.includes(expect)) ||
    (forced === 'auto' && expect === '') || (mock && block))
	die(usage);
expect = expect || forced;
const [url, file] = rest;
const ok = tap.ok.bind(tap);

// The WebSocket end of imgq-events, from the job records: each state
// change of a followed job becomes one event, until done or dead.
function mockEvents(page, base, sent, used) {
	return page.routeWebSocket(/\/events\/ws(\?|$)/, (ws) => {
		const seen = new Map();
		used.ws++;
		const watch = async (id) => {
			for (let n = 0; n < waitS * 5; n++) {
				const r = await fetch(new URL(`jobs/${id}`, base),
				    { headers: { Accept: 'application/json' } })
				    .catch(() => null);
				const rec = r && r.ok ? await r.json() : null;
				if (rec && rec.state !== seen.get(id)) {
					seen.set(id, rec.state);
					sent.push(rec.state);
					ws.send(JSON.stringify({ event: rec.state,
					    id, eid: `${rec.state}.` +
					    `${rec.attempts || 0}`, job: rec }));
					if (rec.state === 'done' ||
					    rec.state === 'dead')
						return;
				}
				await new Promise((ok) => setTimeout(ok, 200));
			}
		};
		ws.onMessage((m) => {
			let c = null;
			try {
				c = JSON.parse(String(m));
			} catch (e) { /* ignored, as the server does */ }
			const ids = c && c.follow ? [].concat(c.follow) : [];
			for (const id of ids)
				if (/^[0-9a-z]+$/.test(id) && !seen.has(id)) {
					seen.set(id, '');
					watch(id);
				}
		});
	});
}

tap.plan(4);
await run('transport.mjs', async (page, jsErrors) => {
	const used = { ws: 0, sse: 0, poll: 0 };
	const sent = [];
	page.on('console', (m) => {
		if (m.type() === 'error' && !notPageError.test(m.text()))
			jsErrors.push(m.text());
	});
	// A WebSocket answered here (-m) is counted where it is answered.
	if (!mock)
		page.on('websocket', () => used.ws++);
	page.on('request', (r) => {
		const p = new URL(r.url()).pathname;
		if (/\/jobs\/[0-9a-z]+\/events$/.test(p))
			used.sse++;
		else if (/\/jobs\/[0-9a-z]+$/.test(p))
			used.poll++;
	});
	if (mock)
		await mockEvents(page, url, sent, used);
	// A WebSocket whose handshake fails: error, then close 1006, never
	// open (chromium's request blocking does not apply to WebSocket).
	if (block)
		await page.addInitScript(() => {
			window.WebSocket = function () {
				this.readyState = 0;
				setTimeout(() => {
					this.readyState = 3;
					if (this.onerror)
						this.onerror(new Event('error'));
					if (this.onclose)
						this.onclose(new CloseEvent('close',
						    { code: 1006 }));
				}, 10);
			};
			window.WebSocket.prototype.send = () => {
				throw new DOMException('not open',
				    'InvalidStateError');
			};
			window.WebSocket.prototype.close = () => {};
		});
	const u = new URL(url);
	if (forced !== 'auto')
		u.searchParams.set('transport', forced);
	await page.goto(u.href, { waitUntil: 'load' });
	await page.locator('input[type=file]').setInputFiles(file);
	let timedOut = false;
	try {
		await page.waitForFunction(() => {
			const li = document.querySelector('#list > li');
			const figs = li ? [...li.querySelectorAll('figure')] : [];
			return li && (li.dataset.state === 'dead' ||
			    (li.dataset.state === 'done' && figs.length > 0 &&
			    figs.every((f) => f.classList.contains('loaded'))));
		}, null, { timeout: waitS * 1000, polling: 200 });
	} catch (e) {
		timedOut = true;
	}
	const it = await page.$eval('#list > li', (li) => ({
		state: li.dataset.state,
		job: li.dataset.job || '',
		transport: li.dataset.transport || '',
		status: li.querySelector('.file-status').textContent.trim(),
		variants: li.querySelectorAll('figure.loaded').length,
	}));
	ok(!timedOut && it.state === 'done' && it.variants > 0,
	    `${basename(file)}: done within ${waitS} s, its variants shown`,
	    `state ${it.state}: ${it.status}`);
	console.log(`# job ${basename(file)} ${it.job}`);
	ok(it.transport === expect, `followed by ${expect}`,
	    `the page says ${it.transport}`);
	// Polling is also the one read of the record after SSE opens and
	// after done: "no polling" means at most those.
	const others = {
		ws: used.sse === 0 && used.poll <= 2 && used.ws === 1 &&
		    (!mock || sent.includes('done')),
		sse: used.sse >= 1 && used.poll <= 3 &&
		    (forced !== 'auto' ? used.ws === 0 : block ?
		    used.ws <= 1 : used.ws === 1),
		poll: used.ws === 0 && used.sse === 0 && used.poll >= 2,
	}[expect];
	ok(others, `no other transport than ${expect}`,
	    `WebSockets ${used.ws}, event streams ${used.sse}, record ` +
	    `reads ${used.poll}, events answered here ${sent.join(' ')}`);
	ok(jsErrors.length === 0, 'no script error on the page',
	    jsErrors.join('\n'));
});
