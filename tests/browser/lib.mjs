// lib.mjs: what the browser drivers share: TAP output, a headless
// Debian chromium with a throw-away profile, and the run of one checked
// session (bail-out, errors, exit status).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// die: a usage or start-up problem, exit status 2.
export function die(msg) {
	console.error(msg);
	process.exit(2);
}

// options: the arguments of a driver that takes -o SHOT.png and -w SECONDS
// and then operands: { shot, waitS, rest }; dies with usage on anything
// else or a -w that is not a positive number.
export function options(argv, usage, waitS) {
	let shot = null;
	const rest = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '-o' && i + 1 < argv.length)
			shot = argv[++i];
		else if (argv[i] === '-w' && i + 1 < argv.length)
			waitS = Number(argv[++i]);
		else if (argv[i].startsWith('-'))
			die(usage);
		else
			rest.push(argv[i]);
	}
	if (!(waitS > 0))
		die(usage);
	return { shot, waitS, rest };
}

// Test Anything Protocol: plan(n) first, then one ok() per check; a failed
// check prints its diagnostics as comment lines.
export const tap = {
	n: 0,
	failed: 0,
	plan(count) {
		console.log(`1..${count}`);
	},
	ok(cond, what, diag) {
		this.n++;
		if (cond) {
			console.log(`ok ${this.n} - ${what}`);
			return;
		}
		this.failed++;
		console.log(`not ok ${this.n} - ${what}`);
		for (const line of String(diag || '').split('\n'))
			if (line)
				console.log(`#   ${line}`);
	},
};

// Console errors that are no error of the page: the browser's line for a
// failed request (an expected refusal, favicon.ico) and for a WebSocket
// that a server without imgq-events refuses (the page falls back).
export const notPageError =
    /Failed to load resource|^WebSocket connection to .* failed/;

// run: start chromium (CHROMIUM, default /usr/bin/chromium) on a fresh
// profile, call body(page, jsErrors) and exit: 0 when every check passed,
// 1 when one failed or the session broke, 2 when the browser would not
// start.  body throws an Error whose message starts with "Bail out!" to
// stop the run with that TAP line; jsErrors collects the page's own
// script errors.  opts go to the browser context (javaScriptEnabled:
// false for a browser without JavaScript).
export async function run(prog, body, opts = {}) {
	const profile = mkdtempSync(join(tmpdir(), 'imgq-chromium-'));
	let ctx;
	try {
		ctx = await chromium.launchPersistentContext(profile, {
			executablePath: process.env.CHROMIUM ||
			    '/usr/bin/chromium',
			headless: true,
			args: ['--headless', '--no-sandbox', '--disable-gpu',
			    '--disable-quic', '--no-first-run',
			    '--disable-background-networking',
			    '--disable-component-update', '--disable-sync'],
			viewport: { width: 1000, height: 900 },
			...opts,
		});
	} catch (e) {
		rmSync(profile, { recursive: true, force: true });
		die(`${prog}: fatal: unable to start chromium: ${e.message}`);
	}
	let code = 0;
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		const jsErrors = [];
		page.on('pageerror', (e) => jsErrors.push(String(e)));
		await body(page, jsErrors);
	} catch (e) {
		if (/^Bail out!/.test(e.message)) {
			console.log(e.message);
		} else {
			const [first, ...more] = e.message.split('\n');
			tap.ok(false, `the browser session: ${first}`,
			    more.join('\n'));
		}
		code = 1;
	} finally {
		await ctx.close().catch(() => {});
		rmSync(profile, { recursive: true, force: true });
	}
	if (tap.failed > 0) {
		console.error(`${prog}: ${tap.failed} of ${tap.n} checks failed`);
		code = 1;
	}
	process.exit(code);
}
