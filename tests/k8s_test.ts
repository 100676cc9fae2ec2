import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { parseConfig } from "../lib/ops/config.ts";

/** The Kubernetes models of the kinds the manifests use, by apiVersion/kind. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

const dir = new URL("../k8s/", import.meta.url);

async function manifests(file: string) {
  const text = await Deno.readTextFile(new URL(file, dir));
  return parseAllDocuments(text).map((doc) => {
    assert.deepEqual(doc.errors, [], file);
    // deno-lint-ignore no-explicit-any -- manifests are free-form; the models validate them
    return doc.toJS() as Record<string, any>;
  });
}

for await (const entry of Deno.readDir(dir)) {
  if (!entry.name.endsWith(".yml") || entry.name === "patch.yml") continue;
  Deno.test(`k8s/${entry.name} is valid against the Kubernetes schemas`, async () => {
    for (const manifest of await manifests(entry.name)) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      assert.ok(
        Model,
        `${manifest.apiVersion} ${manifest.kind} has a model in this test`,
      );
      new Model(manifest as never).validate();
    }
  });
}

Deno.test("the ConfigMap holds a config the node accepts", async () => {
  const [configMap] = await manifests("configmap.yml");
  const config = parseConfig(configMap.data["config.yml"], {});
  assert.equal(config.namespace, "beta");
});

for (const role of ["node", "worker"]) {
  Deno.test(`the ${role} runs 2 replicas, non-root, read-only, probed, limited, spread`, async () => {
    const [deployment, budget] = await manifests(`${role}.yml`);
    assert.equal(deployment.kind, "Deployment");
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    assert.ok(
      container.resources.requests.cpu && container.resources.limits.memory,
    );
    assert.equal(container.volumeMounts[0].mountPath, "/app/config");
    assert.ok(pod.topologySpreadConstraints.length > 0);
    assert.equal(budget.kind, "PodDisruptionBudget");
    assert.deepEqual(budget.spec.selector, deployment.spec.selector);
  });
}

Deno.test("patch.yml changes only the image of an existing Deployment", async () => {
  const [patch] = await manifests("patch.yml");
  const [deployment] = await manifests("node.yml");
  assert.equal(patch.metadata.name, deployment.metadata.name);
  const [container] = patch.spec.template.spec.containers;
  assert.equal(
    container.name,
    deployment.spec.template.spec.containers[0].name,
  );
  assert.match(container.image, /:\d+\.\d+\.\d+$/);
});

Deno.test("the console is off by default, serves its port, and its Service selects it", async () => {
  const [deployment, service] = await manifests("console.yml");
  assert.equal(deployment.spec.replicas, 0);
  const [container] = deployment.spec.template.spec.containers;
  assert.deepEqual(container.args.slice(0, 1), ["console"]);
  assert.equal(container.ports[0].containerPort, 8090);
  assert.equal(service.kind, "Service");
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
});
