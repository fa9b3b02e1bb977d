// peer.mjs: the original design's planned Node.js event server, as the
// benchmark's peer of imgq-events: one process, the `ws` package for
// WebSocket, Node's http for Server-Sent Events, one Redis subscription
// to the queue's events channel (a minimal RESP reader written here) and
// one more connection for reading job records.  Same routes and messages
// as imgq-events(8): GET /jobs/<id>/events (SSE), GET /events/ws?job=<id>
// (WebSocket); on "<id> <state> ..." from Redis the job record is read
// once (HGETALL) and sent to each follower of <id> as
// {"event":state,"id":id,"eid":...,"job":record}; a follower gets the
// record's state on connect (the catch-up).
//
//   node peer.mjs PORT REDIS_HOST:PORT QUEUE
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer } from 'ws';

const [port, redisAddr, queue] = process.argv.slice(2);
if (!port || !redisAddr || !queue) {
	console.error('usage: peer.mjs PORT REDIS_HOST:PORT QUEUE');
	process.exit(64);
}
const [rhost, rport] = [redisAddr.replace(/:\d+$/, ''),
    Number(redisAddr.replace(/^.*:/, ''))];
const chan = `{${queue}}:events`;
const jobKey = (id) => `{${queue}}:job:${id}`;

// RESP: replies parsed from a byte stream, one callback per reply.
function resp(sock, onReply) {
	let buf = Buffer.alloc(0);
	const parse = (off) => {
		const nl = buf.indexOf('\r\n', off);
		if (nl < 0)
			return null;
		const t = String.fromCharCode(buf[off]);
		const line = buf.toString('utf8', off + 1, nl);
		if (t === '+' || t === '-' || t === ':')
			return [t === ':' ? Number(line) : line, nl + 2];
		if (t === '$') {
			const n = Number(line);
			if (n < 0)
				return [null, nl + 2];
			if (buf.length < nl + 2 + n + 2)
				return null;
			return [buf.toString('utf8', nl + 2, nl + 2 + n),
			    nl + 2 + n + 2];
		}
		if (t === '*') {
			const v = [];
			let at = nl + 2;
			for (let i = 0; i < Number(line); i++) {
				const r = parse(at);
				if (r === null)
					return null;
				v.push(r[0]);
				at = r[1];
			}
			return [v, at];
		}
		throw new Error(`RESP: unexpected type ${t}`);
	};
	sock.on('data', (d) => {
		buf = Buffer.concat([buf, d]);
		for (;;) {
			const r = parse(0);
			if (r === null)
				break;
			buf = buf.subarray(r[1]);
			onReply(r[0]);
		}
	});
}

function command(sock, args) {
	sock.write(`*${args.length}\r\n` + args.map((a) =>
	    `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
}

// Record reads: replies come back in order.
const rd = net.createConnection(rport, rhost);
rd.setNoDelay(true);
const waiting = [];
resp(rd, (r) => waiting.shift()(r));
function record(id) {
	return new Promise((ok) => {
		waiting.push((r) => {
			const o = { id };
			for (let i = 0; Array.isArray(r) && i + 1 < r.length;
			    i += 2)
				o[r[i]] = r[i + 1];
			ok(o);
		});
		command(rd, ['HGETALL', jobKey(id)]);
	});
}

const followers = new Map();	// job id -> Set of send functions

function add(id, send) {
	if (!followers.has(id))
		followers.set(id, new Set());
	followers.get(id).add(send);
	record(id).then((rec) => send(rec.state || 'unknown', rec));
	return () => {
		const s = followers.get(id);
		s.delete(send);
		if (s.size === 0)
			followers.delete(id);
	};
}

const server = http.createServer((req, res) => {
	const m = /^\/jobs\/([0-9a-z]{1,32})\/events$/.exec(req.url);
	if (req.method !== 'GET' || !m) {
		res.writeHead(404).end('not found\n');
		return;
	}
	res.writeHead(200, { 'Content-Type': 'text/event-stream',
	    'Cache-Control': 'no-store' });
	const drop = add(m[1], (state, rec) => res.write(
	    `id: ${state}.${rec.attempts || 0}\nevent: ${state}\n` +
	    `data: ${JSON.stringify(rec)}\n\n`));
	req.on('close', drop);
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false,
    maxPayload: 4096 });
server.on('upgrade', (req, sock, head) => {
	const u = new URL(req.url, 'http://x');
	if (u.pathname !== '/events/ws') {
		sock.destroy();
		return;
	}
	wss.handleUpgrade(req, sock, head, (ws) => {
		const drops = u.searchParams.getAll('job').filter((id) =>
		    /^[0-9a-z]{1,32}$/.test(id)).map((id) => add(id,
		    (state, rec) => ws.send(JSON.stringify({ event: state, id,
		    eid: `${state}.${rec.attempts || 0}`, job: rec }))));
		ws.on('close', () => drops.forEach((d) => d()));
		ws.on('error', () => ws.terminate());
	});
});

const sub = net.createConnection(rport, rhost);
sub.setNoDelay(true);
resp(sub, (r) => {
	if (!Array.isArray(r) || r[0] !== 'message')
		return;
	const [id, state] = String(r[2]).split(' ');
	const fs = followers.get(id);
	if (!fs || !state)
		return;
	record(id).then((rec) => {
		for (const send of fs)
			send(state, rec);
	});
});
command(sub, ['SUBSCRIBE', chan]);
server.listen(Number(port), '127.0.0.1');
