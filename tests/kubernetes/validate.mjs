// validate.mjs: checks Kubernetes manifests against the Kubernetes and KEDA
// schemas (kubernetes-models, @kubernetes-models/keda), and reads fields of
// them for the tests.
//
//   node validate.mjs FILE...              one line "KIND/NAME ok" an object;
//                                          exit 1 at the first invalid one
//   node validate.mjs -g KIND/NAME PTR FILE...
//                                          the value at JSON pointer PTR of
//                                          that object (strings bare, others
//                                          as JSON); exit 1 when absent
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion/kind to the module of its model.
const models = {
	"v1/Secret": "kubernetes-models/v1/Secret",
	"v1/Service": "kubernetes-models/v1/Service",
	"v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
	"apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
	"policy/v1/PodDisruptionBudget":
	    "kubernetes-models/policy/v1/PodDisruptionBudget",
	"keda.sh/v1alpha1/ScaledObject":
	    "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject",
	"keda.sh/v1alpha1/TriggerAuthentication":
	    "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication",
};

function fail(msg) {
	process.stderr.write(`validate: ${msg}\n`);
	process.exit(1);
}

function load(files) {
	const objs = [];
	for (const f of files) {
		for (const doc of parseAllDocuments(readFileSync(f, "utf8"))) {
			if (doc.errors.length > 0)
				fail(`${f}: ${doc.errors[0].message}`);
			const o = doc.toJS();
			if (o !== null)
				objs.push({ file: f, o });
		}
	}
	return objs;
}

function pointer(o, ptr) {
	let v = o;
	for (const part of ptr.split("/").slice(1)) {
		const k = part.replace(/~1/g, "/").replace(/~0/g, "~");
		if (v === null || typeof v !== "object" || !(k in v))
			return undefined;
		v = v[k];
	}
	return v;
}

const args = process.argv.slice(2);
if (args[0] === "-g") {
	if (args.length < 4)
		fail("usage: validate.mjs -g KIND/NAME PTR FILE...");
	const [, id, ptr, ...files] = args;
	const hit = load(files).find(({ o }) =>
	    `${o.kind}/${o.metadata?.name}` === id);
	if (hit === undefined)
		fail(`${id}: no such object`);
	const v = pointer(hit.o, ptr);
	if (v === undefined)
		fail(`${id}: nothing at ${ptr}`);
	process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
	process.stdout.write(typeof v === "string" && v.endsWith("\n") ?
	    "" : "\n");
	process.exit(0);
}
if (args.length === 0)
	fail("usage: validate.mjs FILE...");
for (const { file, o } of load(args)) {
	const id = `${o.kind}/${o.metadata?.name}`;
	const mod = models[`${o.apiVersion}/${o.kind}`];
	if (mod === undefined)
		fail(`${file}: ${id}: no schema for ${o.apiVersion} ${o.kind}`);
	const m = await import(mod);
	const Model = m[o.kind];
	try {
		new Model(o).validate();
	} catch (e) {
		fail(`${file}: ${id}: ${e.message}`);
	}
	console.log(`${id} ok`);
}
