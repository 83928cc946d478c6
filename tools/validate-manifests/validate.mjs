// Reads `kubectl kustomize deploy` output on stdin and validates every object against the Kubernetes
// schemas shipped by kubernetes-models. Exits 1 naming the object and the schema error on failure.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const models = {
  "v1/ConfigMap": () => import("kubernetes-models/v1/ConfigMap"),
  "v1/Service": () => import("kubernetes-models/v1/Service"),
  "apps/v1/Deployment": () => import("kubernetes-models/apps/v1/Deployment"),
  "autoscaling/v2/HorizontalPodAutoscaler": () => import("kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler"),
};

const documents = parseAllDocuments(readFileSync(0, "utf8")).map((d) => d.toJSON()).filter(Boolean);
let failures = 0;
for (const object of documents) {
  const key = `${object.apiVersion}/${object.kind}`;
  const name = `${key} ${object.metadata?.name}`;
  if (!models[key]) {
    console.error(`${name}: no schema known to this validator`);
    failures++;
    continue;
  }
  const module = await models[key]();
  const Model = Object.values(module).find((v) => typeof v === "function");
  try {
    new Model(object).validate();
    console.log(`ok ${name}`);
  } catch (error) {
    console.error(`${name}: ${error.message}`);
    failures++;
  }
}
if (documents.length === 0) {
  console.error("no manifests on stdin");
  failures++;
}
console.log(`${documents.length - failures} valid, ${failures} invalid`);
process.exit(failures === 0 ? 0 : 1);
