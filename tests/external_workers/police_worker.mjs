// The police's hukou system as an external worker, written with Camunda's stock JavaScript client
// (camunda-external-task-client-js 3.1.0), run by tests/e2e/test_external_workers.py against `onething serve`.
//
// It registers a birth once per step: its records are files named by the step's idempotency key (the
// fetched task's extension property `idempotencyKey`), made with link(2) so two workers never both make one,
// and a step fetched again (a worker killed after registering) gets the first registration back. A birth
// whose police station is not named in full is refused with the BPMN error `police_station_required`, which
// the diagram sends back to the police clerk's review.
//
// Environment: ENGINE_REST (base URL), WORKER_ID, and TOKEN (Bearer) or USERNAME and PASSWORD (Basic);
// DEPARTMENT_DIR (the records); LOCK_MS; TOPIC (default police.register_birth); HANG_AFTER_REGISTER (a file:
// after registering, write it and never answer -- the test kills the worker there).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BasicAuthInterceptor, Client, Variables } from "camunda-external-task-client-js";

const env = process.env;
const topic = env.TOPIC || "police.register_birth";
const auth = env.TOKEN
  ? (config) => ({ ...config, headers: { ...config.headers, Authorization: `Bearer ${env.TOKEN}` } })
  : new BasicAuthInterceptor({ username: env.USERNAME, password: env.PASSWORD });
const client = new Client({
  baseUrl: env.ENGINE_REST, workerId: env.WORKER_ID, interceptors: auth, autoPoll: false,
  asyncResponseTimeout: Number(env.WAIT_MS || 10000), lockDuration: Number(env.LOCK_MS || 20000), maxTasks: 2,
});

function say(line) {
  process.stdout.write(`${new Date().toISOString()} ${env.WORKER_ID} ${line}\n`);
}

client.on("poll:error", (e) => say(`poll error ${e.httpStatusCode ?? ""} ${e.message}`));
client.on("complete:error", (task, e) => say(`complete error ${e.httpStatusCode ?? ""} ${e.message}`));
client.on("handleBpmnError:error", (task, e) => say(`bpmnError error ${e.message}`));

// One registration per step: made at most once, whoever asks, however often.
function registerOnce(key, make) {
  const file = path.join(env.DEPARTMENT_DIR, createHash("sha256").update(key).digest("hex") + ".json");
  if (fs.existsSync(file)) return { record: JSON.parse(fs.readFileSync(file, "utf8")), made: false };
  const record = make();
  const draft = `${file}.${process.pid}.draft`;
  fs.writeFileSync(draft, JSON.stringify({ key, ...record }));
  try {
    fs.linkSync(draft, file);
    return { record: { key, ...record }, made: true };
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
    return { record: JSON.parse(fs.readFileSync(file, "utf8")), made: false };
  } finally {
    fs.unlinkSync(draft);
  }
}

// GB 11643: the citizen ID number's check character.
function checkCharacter(body) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return "10X98765432"[sum % 11];
}

client.subscribe(topic, async ({ task, taskService }) => {
  const key = task.extensionProperties.idempotencyKey;
  const application = task.variables.get("application");
  const review = (task.variables.get("reviews") || {}).hukou_review || {};
  const station = review.police_station || application.hukou.police_station;
  if (!station || !station.endsWith("派出所")) { // the hukou system knows police stations by their full name
    say(`refused ${key}`);
    await taskService.handleBpmnError(task, "police_station_required", "落户派出所名称不完整，请民警在审核中填写派出所全称");
    return;
  }
  const division = review.division_code || application.hukou.division_code;
  const born = application.newborn.born_at.slice(0, 10).replaceAll("-", "");
  const { record, made } = registerOnce(key, () => {
    const serial = parseInt(createHash("sha256").update(key).digest("hex").slice(0, 8), 16);
    const sequence = String(((serial % 497) * 2 + (application.newborn.sex === "male" ? 1 : 2))).padStart(3, "0");
    const body = `${division}${born}${sequence}`;
    const today = new Date().toISOString().slice(0, 10);
    return {
      registration_number: `HJ${today.replaceAll("-", "")}${String(serial % 1000000).padStart(6, "0")}`,
      citizen_id_number: body + checkCharacter(body),
      registered_on: today,
      police_station: { name: station, division_code: division },
    };
  });
  say(`${made ? "registered" : "found"} ${key} ${record.registration_number}`);
  if (made && env.HANG_AFTER_REGISTER) {
    fs.writeFileSync(env.HANG_AFTER_REGISTER, task.id);
    await new Promise(() => {}); // killed here, holding the lock
  }
  const result = new Variables().setAll({
    registration_number: record.registration_number, number: record.registration_number,
    citizen_id_number: record.citizen_id_number, registered_on: record.registered_on,
    police_station: record.police_station,
    notices: [{ audience: "applicant", text: `出生登记已办结（登记编号${record.registration_number}）。` }],
  });
  await taskService.complete(task, result);
  say(`completed ${key}`);
});

client.start();
say(`polling ${topic}`);
