// The official openai library for Node as a client of the replay server and the proxy
// (tests/test_node_client.py). Usage:
//   node openai_node.mjs NODE_MODULES_PARENT BASE_URL THREAD ASSISTANT
// Prints one JSON object: the raw body the library received (base64), the events its Stream
// yielded, and the text and final run status its AssistantStream helper accumulated.
import { createRequire } from "node:module";

const [prefix, baseURL, thread, assistant] = process.argv.slice(2);
const require = createRequire(prefix + "/");
const OpenAI = require("openai");
const client = new OpenAI({ baseURL, apiKey: "sk-test-node", maxRetries: 0 });
const params = { assistant_id: assistant, stream: true };

// 1. The bytes, exactly as the library's fetch received them.
const response = await client.beta.threads.runs.create(thread, params).asResponse();
const raw = Buffer.from(await response.arrayBuffer()).toString("base64");

// 2. The events the library's SSE decoder yields.
const events = [];
for await (const event of await client.beta.threads.runs.create(thread, params)) {
  events.push({ event: event.event, data: event.data });
}

// 3. What an application accumulates with the streaming helper.
let text = "";
const stream = client.beta.threads.runs.stream(thread, { assistant_id: assistant });
stream.on("textDelta", (delta) => {
  text += delta.value ?? "";
});
const run = await stream.finalRun();

process.stdout.write(
  JSON.stringify({ status: response.status, raw, events, text, run_status: run.status }),
);
