package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.deployments;
import static dev.odooagent.it.EventsSupport.events;
import static dev.odooagent.it.EventsSupport.metric;
import static dev.odooagent.it.Webhooks.GHCR_IMAGE;
import static dev.odooagent.it.Webhooks.MANIFEST_V2;
import static dev.odooagent.it.Webhooks.REPOSITORY;
import static dev.odooagent.it.Webhooks.envelope;
import static dev.odooagent.it.Webhooks.githubHeaders;
import static dev.odooagent.it.Webhooks.githubSignature;
import static dev.odooagent.it.Webhooks.packageEvent;
import static dev.odooagent.it.Webhooks.registryEvent;
import static dev.odooagent.it.Webhooks.registryHeaders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.odooagent.it.MqttOperator.Message;
import dev.odooagent.it.MqttOperator.Sub;
import dev.odooagent.it.Webhooks.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Bad inputs: a corpus over the GitHub and registry webhooks, MQTT tag events and signed MQTT commands. Each gets its
 * documented rejection (HTTP status, a counted event result, or an {@code ok:false} command result, or it is simply
 * never seen), and afterwards nothing was deployed and the agent is healthy. The corpus and that final check are one
 * test factory, so the check always follows the whole corpus whatever order JUnit runs methods in.
 *
 * <p>Wherever it can, an input names a version the policy would accept ({@code sha-abcdef1}, or v2 by command), so
 * that an input wrongly taken would start a deploy and show in the final check.
 */
class BadInputIsRefusedAndDeploysNothingIT {
  static final String HOST = "it-ev-bad";
  static final String PREFIX = "odoo/it-ev-bad-" + EventsSupport.nonce();
  static final String TAGS = PREFIX + "/tags";
  static final String CMD = PREFIX + "/" + HOST + "/cmd";
  static final String RESULT = PREFIX + "/" + HOST + "/cmd/result";
  static final String ACCEPTABLE_TAG = "sha-abcdef1";
  static final String GITHUB_SECRET = "it-github-" + UUID.randomUUID();
  static final String HOOK_TOKEN = "it-hook-" + UUID.randomUUID();
  static final byte[] COMMAND_SECRET = ("it-cmd-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);

  static OdooFixture odoo;
  static AgentProcess agent;
  static MqttOperator mqtt;
  static Sub results;
  static int resultsRead;
  static int inputs;

  @BeforeAll
  static void up() throws IOException {
    odoo = new OdooFixture("it-ev-bad", "it_ev_bad", 18264, false).fresh("v1").start("v1");
    mqtt = new MqttOperator();
    results = mqtt.subscribe(RESULT);
    Path github = EventsSupport.secretFile("github", GITHUB_SECRET);
    Path token = EventsSupport.secretFile("hook", HOOK_TOKEN);
    Path commands = EventsSupport.secretFile("commands", new String(COMMAND_SECRET, StandardCharsets.UTF_8));
    agent = new AgentProcess("ev-bad", odoo, 19264, 19274)
        .set("service.track", "it-ev-bad-channel")
        .set("service.tag_pattern", "^sha-[0-9a-f]{7,40}$")
        .set("webhooks.github_secret_file", github.toString())
        .set("webhooks.github_image", GHCR_IMAGE)
        .set("webhooks.registry_token_file", token.toString())
        .set("webhooks.max_body", "64KiB")
        // the corpus is sent back to back; 429 is not what this test is about
        .set("webhooks.rate_limit", "100000")
        .set("mqtt.url", TestBed.env("MQTT_URL"))
        .set("mqtt.username", TestBed.env("MQTT_AGENT_USER"))
        .set("mqtt.password_file", TestBed.env("MQTT_AGENT_PASSWORD_FILE"))
        .set("mqtt.topic_prefix", PREFIX)
        .set("mqtt.command_secret_file", commands.toString())
        .start();
    TestBed.await("odoo_agent_mqtt_connected 1", Duration.ofSeconds(30), () -> metric(agent, "odoo_agent_mqtt_connected") == 1.0);
    TestBed.await("the agent to see v1 running", Duration.ofSeconds(30),
        () -> TestBed.digest("v1").equals(agent.status().getJsonObject("current").getString("digest")));
  }

  @AfterAll
  static void down() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    if (mqtt != null) {
      mqtt.clearRetained(PREFIX + "/" + HOST + "/status");
      mqtt.dropSession("odoo-agent-" + HOST, PREFIX + "/cleanup");
      mqtt.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  // ------------------------------------------------------------------------------------------------ HTTP

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] pkg(String tag, String digest) {
    return utf8(packageEvent("published", "jgtolentino", "odoo-ce", "CONTAINER", tag, digest).encode());
  }

  /** A package event for the service image with one field replaced (dotted path under the payload). */
  private static byte[] pkgWith(String path, Object value) {
    JsonObject p = packageEvent("published", "jgtolentino", "odoo-ce", "CONTAINER", ACCEPTABLE_TAG, null);
    String[] parts = path.split("\\.");
    JsonObject at = p;
    for (int i = 0; i < parts.length - 1; i++) {
      at = at.getJsonObject(parts[i]);
    }
    at.put(parts[parts.length - 1], value);
    return utf8(p.encode());
  }

  private static String nested(int depth) {
    return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private static byte[] huge(int bytes) {
    JsonObject p = packageEvent("published", "jgtolentino", "odoo-ce", "CONTAINER", ACCEPTABLE_TAG, null);
    p.put("padding", "x".repeat(bytes));
    return utf8(p.encode());
  }

  /** One HTTP input and the answer it must get; {@code result} is the events_total result it must add (null: none). */
  record Http(String name, String path, Map<String, String> headers, byte[] body, int status, String result, String error) {}

  private static Http github(String name, String event, byte[] body, int status, String result, String error) {
    return new Http("github: " + name, "/hooks/github", githubHeaders(event, UUID.randomUUID().toString(),
        githubSignature(GITHUB_SECRET, body)), body, status, result, error);
  }

  private static Http githubHeaders2(String name, Map<String, String> headers, byte[] body, int status, String result, String error) {
    return new Http("github: " + name, "/hooks/github", headers, body, status, result, error);
  }

  private static Http registry(String name, byte[] body, int status, String result, String error) {
    return new Http("registry: " + name, "/hooks/registry", registryHeaders("Bearer " + HOOK_TOKEN), body, status, result, error);
  }

  private static JsonObject push(String tag, String digest) {
    return registryEvent(UUID.randomUUID().toString(), "push", MANIFEST_V2, REPOSITORY, tag, digest);
  }

  static List<Http> httpCorpus() {
    String d = TestBed.digest("v2");
    List<Http> c = new ArrayList<>();
    // malformed JSON and wrong types
    c.add(github("truncated JSON", "package", utf8("{\"action\": \"published\", \"package\": "), 400, "rejected", "not valid JSON"));
    c.add(github("plain text", "package", utf8("Hello, World!"), 400, "rejected", "not valid JSON"));
    c.add(github("invalid UTF-8", "package", new byte[] {(byte) 0xff, (byte) 0xfe, '{', 0, '}'}, 400, "rejected", "not valid JSON"));
    c.add(github("a JSON array", "package", utf8("[]"), 400, "rejected", "must be a JSON object"));
    c.add(github("a JSON string", "package", utf8("\"package\""), 400, "rejected", "must be a JSON object"));
    c.add(github("an empty body", "package", new byte[0], 400, "rejected", "body is empty"));
    c.add(github("duplicate keys", "package", utf8("{\"action\":\"published\",\"action\":\"updated\"}"), 400, "rejected", "not valid JSON"));
    c.add(github("trailing data", "package", utf8(new String(pkg(ACCEPTABLE_TAG, d), StandardCharsets.UTF_8) + " {}"), 400, "rejected",
        "not valid JSON"));
    c.add(github("nested 200 deep", "package", utf8(nested(200)), 400, "rejected", "not valid JSON"));
    c.add(github("action is a number", "package", pkgWith("action", 5), 400, "rejected", "field action must be a string"));
    c.add(github("package is a string", "package", pkgWith("package", "odoo-ce"), 400, "rejected", "must be an object"));
    c.add(github("package_type is missing", "package", pkgWith("package.package_type", null), 400, "rejected", "package_type is missing"));
    c.add(github("tag name is a number", "package", pkgWith("package.package_version.container_metadata.tag.name", 42), 400,
        "rejected", "must be a string"));
    c.add(github("tag digest is a boolean", "package", pkgWith("package.package_version.container_metadata.tag.digest", true), 400,
        "rejected", "must be a string"));
    c.add(github("package_version is an array", "package", pkgWith("package.package_version", new JsonArray()), 400, "rejected",
        "must be an object"));
    c.add(github("owner login is a number", "package", pkgWith("package.owner.login", 7), 400, "rejected", "must be a string"));
    // headers
    byte[] good = pkg(ACCEPTABLE_TAG, d);
    c.add(githubHeaders2("no X-GitHub-Event", githubHeaders(null, UUID.randomUUID().toString(), githubSignature(GITHUB_SECRET, good)),
        good, 400, "rejected", "X-GitHub-Event header is missing"));
    c.add(githubHeaders2("X-GitHub-Event with shell characters", githubHeaders("package;reboot", UUID.randomUUID().toString(),
        githubSignature(GITHUB_SECRET, good)), good, 400, "rejected", "is not a GitHub event name"));
    c.add(githubHeaders2("no X-GitHub-Delivery", githubHeaders("package", null, githubSignature(GITHUB_SECRET, good)), good, 400,
        "rejected", "X-GitHub-Delivery header is missing"));
    c.add(githubHeaders2("X-GitHub-Delivery ../../etc/passwd", githubHeaders("package", "../../etc/passwd",
        githubSignature(GITHUB_SECRET, good)), good, 400, "rejected", "is not a valid delivery id"));
    // injection-laden tags and digests
    c.add(github("tag sha-$(reboot)", "package", pkg("sha-$(reboot)", d), 400, "rejected", "is not a valid image tag"));
    c.add(github("tag ../../x", "package", pkg("../../x", d), 400, "rejected", "is not a valid image tag"));
    c.add(github("tag with a newline and a command", "package", pkg(ACCEPTABLE_TAG + "\nrm -rf /", d), 400, "rejected",
        "is not a valid image tag"));
    c.add(github("tag `reboot`", "package", pkg("`reboot`", d), 400, "rejected", "is not a valid image tag"));
    c.add(github("tag of 129 characters", "package", pkg("a".repeat(129), d), 400, "rejected", "is not a valid image tag"));
    c.add(github("digest sha256:xyz", "package", pkg(ACCEPTABLE_TAG, "sha256:xyz"), 400, "rejected", "is not a valid digest"));
    c.add(github("digest in upper case", "package", pkg(ACCEPTABLE_TAG, d.toUpperCase()), 400, "rejected", "is not a valid digest"));
    // other repositories and events that are not for this agent
    c.add(github("another owner", "package", utf8(packageEvent("published", "evil", "odoo-ce", "CONTAINER", ACCEPTABLE_TAG, d).encode()),
        200, "ignored", null));
    c.add(github("another package name", "package",
        utf8(packageEvent("published", "jgtolentino", "odoo-ce-evil", "CONTAINER", ACCEPTABLE_TAG, d).encode()), 200, "ignored", null));
    c.add(github("an npm package", "package", utf8(packageEvent("published", "jgtolentino", "odoo-ce", "npm", ACCEPTABLE_TAG, d).encode()),
        200, "ignored", null));
    c.add(github("action deleted", "package", utf8(packageEvent("deleted", "jgtolentino", "odoo-ce", "CONTAINER", ACCEPTABLE_TAG, d).encode()),
        200, "ignored", null));
    c.add(github("a multi-arch per-manifest event (empty tag)", "package", pkg("", d), 200, "ignored", null));
    c.add(github("a push event", "push", good, 200, "ignored", null));
    c.add(github("a tag neither the channel nor matching tag_pattern", "package", pkg("v2", d), 200, "ignored", null));
    // signatures
    c.add(githubHeaders2("signed with another secret", githubHeaders("package", UUID.randomUUID().toString(),
        githubSignature("guessed", good)), good, 401, "rejected", "does not match"));
    byte[] otherRepo = utf8(packageEvent("published", "jgtolentino", "odoo-cf", "CONTAINER", ACCEPTABLE_TAG, d).encode());
    byte[] tampered = utf8(new String(otherRepo, StandardCharsets.UTF_8).replace("odoo-cf", "odoo-ce"));
    c.add(githubHeaders2("a tampered body", githubHeaders("package", UUID.randomUUID().toString(),
        githubSignature(GITHUB_SECRET, otherRepo)), tampered, 401, "rejected", "does not match"));
    c.add(githubHeaders2("no signature", githubHeaders("package", UUID.randomUUID().toString(), null), good, 401, "rejected",
        "X-Hub-Signature-256 is missing"));
    c.add(githubHeaders2("a sha1= signature", githubHeaders("package", UUID.randomUUID().toString(), "sha1=" + "0".repeat(40)),
        good, 401, "rejected", "does not match"));
    c.add(githubHeaders2("a truncated signature", githubHeaders("package", UUID.randomUUID().toString(),
        githubSignature(GITHUB_SECRET, good).substring(0, 40)), good, 401, "rejected", "does not match"));
    // huge bodies
    c.add(github("a 100 KiB body", "package", huge(100 * 1024), 413, "rejected", "larger than webhooks.max_body"));
    c.add(github("a 5 MiB body", "package", huge(5 * 1024 * 1024), 413, "rejected", "larger than webhooks.max_body"));
    // a replayed delivery: first taken (and ignored, another repository), then a duplicate
    String replayed = UUID.randomUUID().toString();
    byte[] once = utf8(packageEvent("published", "evil", "odoo-ce", "CONTAINER", ACCEPTABLE_TAG, d).encode());
    Map<String, String> onceHeaders = githubHeaders("package", replayed, githubSignature(GITHUB_SECRET, once));
    c.add(githubHeaders2("a delivery (another owner)", onceHeaders, once, 200, "ignored", null));
    c.add(githubHeaders2("the same delivery replayed", onceHeaders, once, 200, "duplicate", null));
    c.add(new Http("webhooks: an unknown path", "/hooks/../admin/deploy", registryHeaders("Bearer " + HOOK_TOKEN), good, 404, null,
        "no webhook at"));

    // registry notifications
    byte[] validPush = envelope(push(ACCEPTABLE_TAG, d));
    c.add(new Http("registry: no Authorization", "/hooks/registry", registryHeaders(null), validPush, 401, "rejected",
        "header is missing"));
    c.add(new Http("registry: a wrong bearer token", "/hooks/registry", registryHeaders("Bearer guessed"), validPush, 401, "rejected",
        "does not match"));
    c.add(new Http("registry: Basic instead of Bearer", "/hooks/registry", registryHeaders("Basic " + HOOK_TOKEN), validPush, 401,
        "rejected", "does not match"));
    c.add(new Http("registry: an empty bearer", "/hooks/registry", registryHeaders("Bearer "), validPush, 401, "rejected",
        "does not match"));
    c.add(registry("truncated JSON", utf8("{\"events\": ["), 400, "rejected", "not valid JSON"));
    c.add(registry("events is an object", utf8("{\"events\": {}}"), 400, "rejected", "must be an array"));
    c.add(registry("no events", utf8("{}"), 400, "rejected", "events is missing"));
    c.add(registry("an event is a number", utf8("{\"events\": [1]}"), 400, "rejected", "must be an object"));
    JsonObject noId = push(ACCEPTABLE_TAG, d);
    noId.remove("id");
    c.add(registry("an event without id", envelope(noId), 400, "rejected", "id is missing"));
    c.add(registry("event id ../../x", envelope(push(ACCEPTABLE_TAG, d).put("id", "../../x")), 400, "rejected",
        "is not a valid delivery id"));
    JsonObject repoNumber = push(ACCEPTABLE_TAG, d);
    repoNumber.getJsonObject("target").put("repository", 5);
    c.add(registry("repository is a number", envelope(repoNumber), 400, "rejected", "must be a string"));
    c.add(registry("tag sha-$(reboot)", envelope(push("sha-$(reboot)", d)), 400, "rejected", "is not a valid image tag"));
    c.add(registry("tag ../../x", envelope(push("../../x", d)), 400, "rejected", "is not a valid image tag"));
    c.add(registry("digest sha256:../../x", envelope(push(ACCEPTABLE_TAG, "sha256:../../x")), 400, "rejected", "is not a valid digest"));
    c.add(registry("another repository", envelope(registryEvent(UUID.randomUUID().toString(), "push", MANIFEST_V2, "jgtolentino/evil",
        ACCEPTABLE_TAG, d)), 200, "ignored", null));
    c.add(registry("a repository path with ..", envelope(registryEvent(UUID.randomUUID().toString(), "push", MANIFEST_V2,
        REPOSITORY + "/../evil", ACCEPTABLE_TAG, d)), 200, "ignored", null));
    c.add(registry("a blob push", envelope(registryEvent(UUID.randomUUID().toString(), "push",
        "application/vnd.docker.image.rootfs.diff.tar.gzip", REPOSITORY, null, d)), 200, "ignored", null));
    c.add(registry("a pull", envelope(registryEvent(UUID.randomUUID().toString(), "pull", MANIFEST_V2, REPOSITORY, ACCEPTABLE_TAG, d)),
        200, "ignored", null));
    c.add(registry("a delete", envelope(registryEvent(UUID.randomUUID().toString(), "delete", MANIFEST_V2, REPOSITORY, ACCEPTABLE_TAG, d)),
        200, "ignored", null));
    c.add(registry("a push by digest, no tag", envelope(push(null, d)), 200, "ignored", null));
    byte[] policyIgnored = envelope(push("v2", d));
    c.add(registry("a tag neither the channel nor matching tag_pattern", policyIgnored, 200, "ignored", null));
    c.add(registry("the same envelope again", policyIgnored, 200, "duplicate", null));
    c.add(registry("a 100 KiB body", utf8(new JsonObject().put("events", new JsonArray()).put("padding", "x".repeat(100 * 1024)).encode()),
        413, "rejected", "larger than webhooks.max_body"));
    return c;
  }

  /** The whole corpus, then the check that nothing was deployed: one factory, in this order. */
  @TestFactory
  Stream<DynamicNode> theWholeCorpusGetsItsAnswersAndAfterwardsNothingWasDeployed() throws IOException {
    return Stream.of(
        dynamicContainer("webhook inputs get their documented answers", webhookInputsGetTheirDocumentedAnswers()),
        dynamicTest("a webhook GET is refused with 405", this::aWebhookGetIsRefusedWith405),
        dynamicContainer("tag events are rejected or ignored", tagEventsAreRejectedOrIgnored()),
        dynamicContainer("commands are refused with a result", commandsAreRefusedWithAResult()),
        dynamicContainer("messages over the client frame limit are dropped and the agent recovers",
            messagesOverTheClientFrameLimitAreDroppedAndTheAgentRecovers()),
        dynamicTest("after the whole corpus nothing was deployed and the agent is healthy",
            this::afterTheWholeCorpusNothingWasDeployedAndTheAgentIsHealthy));
  }

  Stream<DynamicTest> webhookInputsGetTheirDocumentedAnswers() {
    return httpCorpus().stream().map(h -> dynamicTest(h.name() + " -> " + h.status(), () -> {
      String source = h.path().equals("/hooks/github") ? "github" : "registry";
      Map<String, Double> before = events(agent, source);
      Reply r = Webhooks.post(agent.hookPort, h.path(), h.headers(), h.body());
      inputs++;
      assertEquals(h.status(), r.status(), r.body());
      if (h.error() != null) {
        assertTrue(r.json().getString("error").contains(h.error()), "error should say '" + h.error() + "': " + r.body());
      }
      Map<String, Double> expected = new LinkedHashMap<>(before);
      if (h.result() != null) {
        expected.put(h.result(), before.get(h.result()) + 1);
      }
      assertEquals(expected, events(agent, source), "events_total{source=" + source + "}");
      assertFalse(agent.status().getBoolean("deploy_in_progress"));
    }));
  }

  void aWebhookGetIsRefusedWith405() {
    Reply r = Webhooks.get(agent.hookPort, "/hooks/github");
    inputs++;
    assertEquals(405, r.status(), r.body());
  }

  // ------------------------------------------------------------------------------------------------ MQTT tags

  /** One P/tags payload and the events_total{source=mqtt} result it must add. */
  record Tag(String name, byte[] payload, String result) {}

  private static byte[] tag(Object image, Object tag, Object digest) {
    JsonObject j = new JsonObject();
    if (image != null) {
      j.put("image", image);
    }
    if (tag != null) {
      j.put("tag", tag);
    }
    if (digest != null) {
      j.put("digest", digest);
    }
    return utf8(j.encode());
  }

  static List<Tag> tagCorpus() {
    String image = TestBed.image();
    String d = TestBed.digest("v2");
    return List.of(
        new Tag("truncated JSON", utf8("{\"image\": \"" + image + "\", \"tag\": "), "rejected"),
        new Tag("a JSON array", utf8("[\"" + image + "\", \"" + ACCEPTABLE_TAG + "\"]"), "rejected"),
        new Tag("binary garbage", new byte[] {0, 1, 2, (byte) 0xff, '{'}, "rejected"),
        new Tag("no image", tag(null, ACCEPTABLE_TAG, null), "rejected"),
        new Tag("image is a number", tag(5, ACCEPTABLE_TAG, null), "rejected"),
        new Tag("tag is a number", tag(image, 7, null), "rejected"),
        new Tag("digest is an object", tag(image, ACCEPTABLE_TAG, new JsonObject().put("sha256", "x")), "rejected"),
        new Tag("tag sha-$(reboot)", tag(image, "sha-$(reboot)", null), "rejected"),
        new Tag("tag ../../x", tag(image, "../../x", null), "rejected"),
        new Tag("tag with '; reboot'", tag(image, ACCEPTABLE_TAG + "; reboot", null), "rejected"),
        new Tag("digest sha256:../../x", tag(image, ACCEPTABLE_TAG, "sha256:../../x"), "rejected"),
        new Tag("a 100 KiB payload", utf8(new JsonObject().put("image", image).put("tag", ACCEPTABLE_TAG)
            .put("padding", "x".repeat(100 * 1024)).encode()), "rejected"),
        new Tag("another repository", tag("ghcr.io/evil/odoo-ce", ACCEPTABLE_TAG, d), "ignored"),
        new Tag("the same path on another registry", tag("docker.io/jgtolentino/odoo-ce", ACCEPTABLE_TAG, d), "ignored"),
        new Tag("a tag neither the channel nor matching tag_pattern", tag(image, "v2", d), "ignored"));
  }

  Stream<DynamicTest> tagEventsAreRejectedOrIgnored() {
    return tagCorpus().stream().map(t -> dynamicTest("P/tags: " + t.name() + " -> " + t.result(), () -> {
      Map<String, Double> before = events(agent, "mqtt");
      mqtt.publish(TAGS, t.payload(), false);
      inputs++;
      TestBed.await("the tag event counted", Duration.ofSeconds(15),
          () -> events(agent, "mqtt").values().stream().mapToDouble(Double::doubleValue).sum()
              > before.values().stream().mapToDouble(Double::doubleValue).sum());
      Map<String, Double> expected = new LinkedHashMap<>(before);
      expected.put(t.result(), before.get(t.result()) + 1);
      assertEquals(expected, events(agent, "mqtt"));
      assertFalse(agent.status().getBoolean("deploy_in_progress"));
    }));
  }

  // ------------------------------------------------------------------------------------------------ MQTT commands

  static JsonObject signed(JsonObject c) throws IOException {
    return MqttOperator.sign(c, COMMAND_SECRET);
  }

  static long now() {
    return Instant.now().getEpochSecond();
  }

  static JsonObject deployV2(String id) {
    return new JsonObject().put("id", id).put("action", "deploy").put("tag", "v2").put("ts", now());
  }

  /** The next command result, in order of arrival. */
  static JsonObject nextResult(String what) {
    int want = resultsRead + 1;
    TestBed.await(what, Duration.ofSeconds(20), () -> results.messages(m -> m.topic().equals(RESULT)).size() >= want);
    Message m = results.messages(x -> x.topic().equals(RESULT)).get(resultsRead++);
    return m.json();
  }

  /** Publishes a command and checks its result: ok:false, naming {@code id} (may be null) and saying {@code error}. */
  static void refused(byte[] payload, String id, String error, String counted) throws IOException {
    Map<String, Double> before = events(agent, "mqtt");
    mqtt.publish(CMD, payload, false);
    inputs++;
    JsonObject r = nextResult("the result of a command that must be refused");
    assertEquals(Boolean.FALSE, r.getBoolean("ok"), r.encode());
    assertEquals(id, r.getString("id"), r.encode());
    assertTrue(r.getString("error").contains(error), "error should say '" + error + "': " + r.encode());
    Map<String, Double> expected = new LinkedHashMap<>(before);
    expected.put(counted, before.get(counted) + 1);
    assertEquals(expected, events(agent, "mqtt"));
    assertFalse(agent.status().getBoolean("deploy_in_progress"));
  }

  static void refused(JsonObject command, String error) throws IOException {
    refused(utf8(command.encode()), command.getValue("id") instanceof String s ? s : null, error, "rejected");
  }

  static String id() {
    return "bad-" + UUID.randomUUID();
  }

  Stream<DynamicTest> commandsAreRefusedWithAResult() throws IOException {
    List<DynamicTest> t = new ArrayList<>();
    t.add(dynamicTest("unsigned", () -> refused(deployV2(id()), "sig is missing")));
    t.add(dynamicTest("signed with another secret", () -> {
      JsonObject c = MqttOperator.sign(deployV2(id()), utf8("guessed"));
      refused(c, "sig does not match");
    }));
    t.add(dynamicTest("sig not hex", () -> refused(deployV2(id()).put("sig", "z".repeat(64)), "sig must be 64 hex digits")));
    t.add(dynamicTest("signed, expired ts (10 min old)", () -> refused(signed(deployV2(id()).put("ts", now() - 600)), "away from the agent's clock")));
    t.add(dynamicTest("signed, ts 10 min ahead", () -> refused(signed(deployV2(id()).put("ts", now() + 600)), "away from the agent's clock")));
    t.add(dynamicTest("signed, no ts", () -> {
      JsonObject c = deployV2(id());
      c.remove("ts");
      refused(signed(c), "ts is missing");
    }));
    t.add(dynamicTest("signed, ts as a string", () -> refused(signed(deployV2(id()).put("ts", Long.toString(now()))), "ts must be an integer")));
    t.add(dynamicTest("truncated JSON", () -> refused(utf8("{\"id\": \"x\", \"action\": "), null, "not valid JSON", "rejected")));
    t.add(dynamicTest("a JSON array", () -> refused(utf8("[\"deploy\", \"v2\"]"), null, "not a JSON object", "rejected")));
    t.add(dynamicTest("no id", () -> {
      JsonObject c = deployV2("x");
      c.remove("id");
      refused(signed(c), "id is missing");
    }));
    t.add(dynamicTest("id is a number", () -> refused(utf8(signed(deployV2("x").put("id", 42)).encode()), null, "id must be a JSON string",
        "rejected")));
    t.add(dynamicTest("id with spaces", () -> refused(signed(deployV2("x").put("id", "a b; reboot")), "visible ASCII")));
    t.add(dynamicTest("unknown action reboot", () -> refused(signed(deployV2(id()).put("action", "reboot")), "is unknown")));
    t.add(dynamicTest("action is a number", () -> refused(signed(deployV2(id()).put("action", 1)), "action must be a JSON string")));
    t.add(dynamicTest("an unknown field exec", () -> refused(signed(deployV2(id()).put("exec", "reboot")), "unknown field")));
    t.add(dynamicTest("deploy tag sha-$(reboot)", () -> refused(signed(deployV2(id()).put("tag", "sha-$(reboot)")), "is not a valid tag")));
    t.add(dynamicTest("deploy tag ../../x", () -> refused(signed(deployV2(id()).put("tag", "../../x")), "is not a valid tag")));
    t.add(dynamicTest("pin digest sha256:../../x", () -> refused(signed(new JsonObject().put("id", id()).put("action", "pin")
        .put("digest", "sha256:../../x").put("ts", now())), "is not a valid digest")));
    t.add(dynamicTest("deploy without tag or digest", () -> refused(signed(new JsonObject().put("id", id()).put("action", "deploy")
        .put("ts", now())), "needs a \"tag\" or a \"digest\"")));
    t.add(dynamicTest("unpin with a tag", () -> refused(signed(new JsonObject().put("id", id()).put("action", "unpin")
        .put("tag", "v2").put("ts", now())), "takes no tag or digest")));
    t.add(dynamicTest("a 100 KiB command", () -> refused(utf8(deployV2(id()).put("pad", "x".repeat(100 * 1024)).encode()), null,
        "more than", "rejected")));
    t.add(dynamicTest("a replayed command", () -> {
      JsonObject c = signed(new JsonObject().put("id", id()).put("action", "status").put("ts", now()));
      mqtt.publish(CMD, utf8(c.encode()), false);
      inputs++;
      JsonObject first = nextResult("the result of the original command");
      assertEquals(Boolean.TRUE, first.getBoolean("ok"), "the original is signed and fresh: " + first.encode());
      refused(utf8(c.encode()), c.getString("id"), "was already used (a replayed command)", "duplicate");
    }));
    t.add(dynamicTest("a command for another host is never seen", () -> {
      Map<String, Double> before = events(agent, "mqtt");
      JsonObject other = signed(deployV2(id()));
      mqtt.publish(PREFIX + "/it-ev-other-host/cmd", utf8(other.encode()), false);
      inputs++;
      // a signed status command to this host, published after it, is the barrier
      JsonObject barrier = signed(new JsonObject().put("id", id()).put("action", "status").put("ts", now()));
      mqtt.publish(CMD, utf8(barrier.encode()), false);
      JsonObject r = nextResult("the barrier's result");
      assertEquals(barrier.getString("id"), r.getString("id"), "no result came for the other host's command: " + results.raw());
      assertEquals(Boolean.TRUE, r.getBoolean("ok"));
      Map<String, Double> expected = new LinkedHashMap<>(before);
      expected.put("accepted", before.get("accepted") + 1);
      assertEquals(expected, events(agent, "mqtt"), "only the barrier was counted");
    }));
    return t.stream();
  }

  static long count(String text, String needle) {
    return text.lines().filter(l -> l.contains(needle)).count();
  }

  /**
   * Messages over the MQTT client's 1 MiB frame limit cannot be decoded, so not acknowledged: the agent drops the
   * connection and reconnects with a clean session, so that the broker does not redeliver them forever. Each is never
   * seen (not counted, no result), and a command sent after the reconnect is answered.
   */
  Stream<DynamicTest> messagesOverTheClientFrameLimitAreDroppedAndTheAgentRecovers() {
    Map<String, byte[]> huge = new LinkedHashMap<>();
    huge.put("P/tags: a 2 MiB tag event", utf8(new JsonObject().put("image", TestBed.image()).put("tag", ACCEPTABLE_TAG)
        .put("padding", "x".repeat(2 * 1024 * 1024)).encode()));
    huge.put("P/H/cmd: a 2 MiB deploy command", utf8(deployV2(id()).put("pad", "x".repeat(2 * 1024 * 1024)).encode()));
    return huge.entrySet().stream().map(e -> dynamicTest(e.getKey() + " -> dropped, agent recovers", () -> {
      String topic = e.getKey().startsWith("P/tags") ? TAGS : CMD;
      long connects = count(agent.log(), "mqtt: connected to");
      Map<String, Double> before = events(agent, "mqtt");
      mqtt.publish(topic, e.getValue(), false);
      inputs++;
      // The barrier must go out after the reconnect: the clean session discards what was queued for the old one.
      TestBed.await("the agent to reconnect after the oversized message", Duration.ofSeconds(30),
          () -> count(agent.log(), "mqtt: connected to") > connects);
      JsonObject barrier = signed(new JsonObject().put("id", id()).put("action", "status").put("ts", now()));
      mqtt.publish(CMD, utf8(barrier.encode()), false);
      JsonObject r = nextResult("the result of a command sent after the reconnect");
      assertEquals(barrier.getString("id"), r.getString("id"), r.encode());
      assertEquals(Boolean.TRUE, r.getBoolean("ok"));
      Map<String, Double> expected = new LinkedHashMap<>(before);
      expected.put("accepted", before.get("accepted") + 1);
      assertEquals(expected, events(agent, "mqtt"), "only the barrier was counted");
      assertFalse(agent.status().getBoolean("deploy_in_progress"));
    }));
  }

  // ------------------------------------------------------------------------------------------------ verdict

  void afterTheWholeCorpusNothingWasDeployedAndTheAgentIsHealthy() throws IOException {
    assertTrue(inputs >= 50, "the corpus has at least 50 inputs, it had " + inputs);
    assertTrue(agent.alive(), "the agent process is alive");
    assertEquals(200, agent.get("/healthz").statusCode());
    assertEquals(Map.of("success", 0.0, "rolled_back", 0.0, "failed", 0.0, "skipped", 0.0), deployments(agent));
    assertEquals(0, agent.history().size(), "/history is empty");
    assertEquals(List.of(), agent.journal(), "the journal has no deploy");
    JsonObject status = agent.status();
    assertFalse(status.getBoolean("deploy_in_progress"));
    assertEquals("idle", status.getString("state"));
    assertEquals(TestBed.digest("v1"), odoo.runningDigest(), "the container still runs v1");
    // the gauge is sampled every second, so it may still show the last reconnect's gap
    TestBed.await("odoo_agent_mqtt_connected 1", Duration.ofSeconds(10), () -> metric(agent, "odoo_agent_mqtt_connected") == 1.0);
    // the connection was dropped for the two oversized messages only, each time with a clean session to follow
    String log = agent.log();
    assertEquals(2, count(log, "mqtt: lost the connection"), "MQTT reconnects");
    assertEquals(2, count(log, "larger than 1048576 bytes"), "oversized messages");
  }
}
