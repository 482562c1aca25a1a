package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input gets its documented answer, is counted once, and never reaches the trigger sink. */
@ExtendWith(VertxExtension.class)
class BadInputCorpusTest {

  private static final long MAX_BODY = 64 * 1024;

  /**
   * One bad delivery.
   *
   * @param name what is wrong with it
   * @param path the hook it is sent to
   * @param headers headers to send
   * @param body the raw body
   * @param sign whether to add a valid GitHub signature of the body
   * @param status the documented status
   * @param result the expected {@code odoo_agent_events_total} result
   */
  record Case(String name, String path, Map<String, String> headers, byte[] body, boolean sign, int status,
      String result) {

    @Override
    public String toString() {
      return name;
    }
  }

  private final Recorder recorder = new Recorder();
  private WebhookServer server;
  private WebClient client;
  private int port;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    server = new WebhookServer(new WebhookServer.Settings("127.0.0.1", 0, MAX_BODY, Fixtures.SECRET, Fixtures.TOKEN,
        Fixtures.IMAGE, 50), recorder, recorder);
    client = WebClient.create(vertx);
    server.start(vertx).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close();
    server.stop().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void corpusHasAtLeastFiftyCases() {
    assertTrue(corpus().count() >= 50, "the bad-input corpus must hold at least 50 cases");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void badInputGetsItsDocumentedAnswerAndDeploysNothing(Case c, VertxTestContext ctx) {
    HttpRequest<Buffer> request = client.post(port, "127.0.0.1", c.path());
    c.headers().forEach((name, value) -> request.putHeader(name, value));
    if (c.sign()) {
      request.putHeader(GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.SECRET, c.body()));
    }
    request.sendBuffer(Buffer.buffer(c.body())).onComplete(ctx.succeeding(response -> ctx.verify(() -> {
      assertEquals(c.status(), response.statusCode(), response.bodyAsString());
      JsonObject json = response.bodyAsJsonObject();
      if (c.status() >= 400) {
        String error = json.getString("error");
        assertTrue(error != null && error.startsWith("webhook rejected: "), response.bodyAsString());
      } else {
        assertEquals("ignored", json.getString("status"), response.bodyAsString());
        assertFalse(json.getString("reason").isEmpty());
      }
      assertTrue(recorder.triggers.isEmpty(), "nothing may reach the trigger sink: " + recorder.triggers);
      String source = c.path().equals(WebhookServer.GITHUB_PATH) ? "github" : "registry";
      assertEquals(List.of(source + ":" + c.result()), recorder.counts);
      ctx.completeNow();
    })));
  }

  static Stream<Case> corpus() {
    List<Case> cases = new ArrayList<>();
    // Malformed bodies, validly signed, so that the parser is what refuses them.
    ghRaw(cases, "malformed JSON", "{\"action\":\"published\",");
    ghRaw(cases, "empty body", "");
    ghRaw(cases, "JSON null", "null");
    ghRaw(cases, "JSON array", "[]");
    ghRaw(cases, "JSON string", "\"package\"");
    ghRaw(cases, "JSON number", "123");
    ghRaw(cases, "trailing garbage", "{\"action\":\"published\"} x");
    ghRaw(cases, "duplicate keys", "{\"action\":\"published\",\"action\":\"deleted\"}");
    ghRaw(cases, "single quotes", "{'action':'published'}");
    ghRaw(cases, "deep nesting", "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}");
    cases.add(new Case("invalid UTF-8", WebhookServer.GITHUB_PATH, githubHeaders("package"),
        new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'}, true, 400, "rejected"));
    cases.add(new Case("form-encoded body", WebhookServer.GITHUB_PATH,
        with(githubHeaders("package"), "Content-Type", "application/x-www-form-urlencoded"),
        Fixtures.utf8("payload=%7B%22action%22%3A%22published%22%7D"), true, 415, "rejected"));
    gh(cases, "action is a number", p -> p.put("action", 1));
    gh(cases, "package is an array", p -> p.putArray("package"));
    gh(cases, "package is a string", p -> p.put("package", "odoo-ce"));
    gh(cases, "package is missing", p -> p.remove("package"));
    gh(cases, "package_type is a number", p -> Fixtures.at(p, "package").put("package_type", 5));
    gh(cases, "name is missing", p -> Fixtures.at(p, "package").remove("name"));
    gh(cases, "owner is a string", p -> Fixtures.at(p, "package").put("owner", "jgtolentino"));
    gh(cases, "package_version is an array", p -> Fixtures.at(p, "package").putArray("package_version"));
    gh(cases, "container_metadata is a string",
        p -> Fixtures.at(p, "package.package_version").put("container_metadata", "x"));
    gh(cases, "tag is a number", p -> Fixtures.at(p, "package.package_version.container_metadata").put("tag", 123));
    gh(cases, "tag name is a number", p -> Fixtures.tag(p).put("name", 123));
    gh(cases, "tag name is a boolean", p -> Fixtures.tag(p).put("name", true));
    gh(cases, "tag name is an object", p -> Fixtures.tag(p).putObject("name"));
    gh(cases, "digest is a number", p -> Fixtures.tag(p).put("digest", 5));
    for (String tag : List.of("sha-$(reboot)", "../../x", "a;rm -rf /", "%00", "sha-abc\u0000", "sha-\u00e1bc",
        "sha-\ud83d\ude80", "-leading-dash", ".hidden", "a".repeat(129), "latest\n", "tag with space", "$(reboot)",
        "`id`", "sha-abc|sh", "sha-abc&&curl", "latest:evil", "x/../../etc/passwd")) {
      gh(cases, "tag " + Validation.quote(tag), p -> Fixtures.tag(p).put("name", tag));
    }
    for (String digest : List.of("sha256:xyz", "sha256:" + "AB".repeat(32), "sha512:" + "0".repeat(128),
        "sha256:" + "0".repeat(63), "sha256:$(reboot)", "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b")) {
      gh(cases, "digest " + Validation.quote(digest), p -> Fixtures.tag(p).put("digest", digest));
    }
    ghIgnored(cases, "other repository", p -> Fixtures.at(p, "package").put("name", "other-image"));
    ghIgnored(cases, "other owner", p -> Fixtures.at(p, "package.owner").put("login", "mallory"));
    ghIgnored(cases, "look-alike repository", p -> Fixtures.at(p, "package").put("name", "odoo-ce-evil"));
    ghIgnored(cases, "path traversal in package name", p -> Fixtures.at(p, "package").put("name", "../odoo-ce"));
    ghIgnored(cases, "npm package", p -> Fixtures.at(p, "package").put("package_type", "npm"));
    ghIgnored(cases, "deleted action", p -> p.put("action", "deleted"));
    ghIgnored(cases, "empty tag name", p -> Fixtures.tag(p).put("name", ""));
    cases.add(new Case("push event", WebhookServer.GITHUB_PATH, githubHeaders("push"),
        Fixtures.bytes(Fixtures.githubPackage()), true, 200, "ignored"));
    byte[] good = Fixtures.bytes(Fixtures.githubPackage());
    cases.add(new Case("unsigned", WebhookServer.GITHUB_PATH, githubHeaders("package"), good, false, 401, "rejected"));
    cases.add(new Case("signed with another secret", WebhookServer.GITHUB_PATH,
        with(githubHeaders("package"), GithubWebhook.SIGNATURE_HEADER,
            GithubWebhook.sign(Fixtures.utf8("not the secret"), good)), good, false, 401, "rejected"));
    ObjectNode tampered = Fixtures.githubPackage();
    Fixtures.tag(tampered).put("name", "sha-0000000");
    cases.add(new Case("tampered body", WebhookServer.GITHUB_PATH,
        with(githubHeaders("package"), GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.SECRET, good)),
        Fixtures.bytes(tampered), false, 401, "rejected"));
    String hex = GithubWebhook.sign(Fixtures.SECRET, good).substring(7);
    for (String header : List.of("sha1=" + hex, "sha256=" + "zz".repeat(32), "sha256=" + hex.substring(0, 40), hex,
        "")) {
      cases.add(new Case("signature header " + Validation.quote(header), WebhookServer.GITHUB_PATH,
          with(githubHeaders("package"), GithubWebhook.SIGNATURE_HEADER, header), good, false, 401, "rejected"));
    }
    cases.add(new Case("missing X-GitHub-Event", WebhookServer.GITHUB_PATH,
        without(githubHeaders("package"), GithubWebhook.EVENT_HEADER), good, true, 400, "rejected"));
    cases.add(new Case("missing X-GitHub-Delivery", WebhookServer.GITHUB_PATH,
        without(githubHeaders("package"), GithubWebhook.DELIVERY_HEADER), good, true, 400, "rejected"));
    cases.add(new Case("delivery id ../../x", WebhookServer.GITHUB_PATH,
        with(githubHeaders("package"), GithubWebhook.DELIVERY_HEADER, "../../x"), good, true, 400, "rejected"));
    cases.add(new Case("huge GitHub body", WebhookServer.GITHUB_PATH, githubHeaders("package"),
        Fixtures.utf8("{\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}"), true, 413, "rejected"));
    byte[] envelope = Fixtures.bytes(Fixtures.registryEnvelope());
    cases.add(new Case("registry without Authorization", WebhookServer.REGISTRY_PATH,
        without(registryHeaders(), "Authorization"), envelope, false, 401, "rejected"));
    cases.add(new Case("registry with wrong token", WebhookServer.REGISTRY_PATH,
        with(registryHeaders(), "Authorization", "Bearer wrong"), envelope, false, 401, "rejected"));
    cases.add(new Case("registry with Basic auth", WebhookServer.REGISTRY_PATH,
        with(registryHeaders(), "Authorization", "Basic YWdlbnQ6cmVnaXN0cnktaG9vay10b2tlbi01ZDFm"), envelope, false,
        401, "rejected"));
    cases.add(new Case("registry with empty bearer", WebhookServer.REGISTRY_PATH,
        with(registryHeaders(), "Authorization", "Bearer "), envelope, false, 401, "rejected"));
    regRaw(cases, "registry malformed JSON", "{\"events\":[");
    regRaw(cases, "registry events missing", "{}");
    regRaw(cases, "registry events is an object", "{\"events\":{}}");
    regRaw(cases, "registry event is a number", "{\"events\":[1]}");
    reg(cases, "registry event without id", 400, "rejected", e -> ((ObjectNode) e.get("events").get(0)).remove("id"));
    reg(cases, "registry event id ../../x", 400, "rejected",
        e -> ((ObjectNode) e.get("events").get(0)).put("id", "../../x"));
    reg(cases, "registry target is an array", 400, "rejected",
        e -> ((ObjectNode) e.get("events").get(0)).putArray("target"));
    reg(cases, "registry tag sha-$(reboot)", 400, "rejected", e -> Fixtures.target(e, 0).put("tag", "sha-$(reboot)"));
    reg(cases, "registry tag ../../x", 400, "rejected", e -> Fixtures.target(e, 0).put("tag", "../../x"));
    reg(cases, "registry tag is a number", 400, "rejected", e -> Fixtures.target(e, 0).put("tag", 123));
    reg(cases, "registry mediaType is a number", 400, "rejected", e -> Fixtures.target(e, 0).put("mediaType", 1));
    reg(cases, "registry bad digest", 400, "rejected", e -> Fixtures.target(e, 0).put("digest", "sha256:nothex"));
    reg(cases, "registry blob push", 200, "ignored",
        e -> Fixtures.target(e, 0).put("mediaType", "application/octet-stream"));
    reg(cases, "registry pull", 200, "ignored", e -> ((ObjectNode) e.get("events").get(0)).put("action", "pull"));
    reg(cases, "registry delete", 200, "ignored", e -> ((ObjectNode) e.get("events").get(0)).put("action", "delete"));
    reg(cases, "registry other repository", 200, "ignored",
        e -> Fixtures.target(e, 0).put("repository", "mallory/odoo-ce"));
    reg(cases, "registry traversal repository", 200, "ignored",
        e -> Fixtures.target(e, 0).put("repository", "../jgtolentino/odoo-ce"));
    reg(cases, "registry push without tag", 200, "ignored", e -> Fixtures.target(e, 0).remove("tag"));
    regRaw(cases, "registry empty envelope", "{\"events\":[]}", 200, "ignored");
    cases.add(new Case("huge registry body", WebhookServer.REGISTRY_PATH, registryHeaders(),
        Fixtures.utf8("{\"events\":[],\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}"), false, 413, "rejected"));
    return cases.stream();
  }

  private static Map<String, String> githubHeaders(String event) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put(GithubWebhook.EVENT_HEADER, event);
    headers.put(GithubWebhook.DELIVERY_HEADER, UUID.randomUUID().toString());
    return headers;
  }

  private static Map<String, String> registryHeaders() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", RegistryNotification.ENVELOPE_MEDIA_TYPE);
    headers.put("Authorization", "Bearer " + Fixtures.TOKEN);
    return headers;
  }

  private static Map<String, String> with(Map<String, String> headers, String name, String value) {
    headers.put(name, value);
    return headers;
  }

  private static Map<String, String> without(Map<String, String> headers, String name) {
    headers.remove(name);
    return headers;
  }

  private static void ghRaw(List<Case> cases, String name, String body) {
    cases.add(new Case(name, WebhookServer.GITHUB_PATH, githubHeaders("package"), Fixtures.utf8(body), true, 400,
        "rejected"));
  }

  private static void gh(List<Case> cases, String name, Consumer<ObjectNode> change) {
    ObjectNode payload = Fixtures.githubPackage();
    change.accept(payload);
    cases.add(new Case(name, WebhookServer.GITHUB_PATH, githubHeaders("package"), Fixtures.bytes(payload), true, 400,
        "rejected"));
  }

  private static void ghIgnored(List<Case> cases, String name, Consumer<ObjectNode> change) {
    ObjectNode payload = Fixtures.githubPackage();
    change.accept(payload);
    cases.add(new Case(name, WebhookServer.GITHUB_PATH, githubHeaders("package"), Fixtures.bytes(payload), true, 200,
        "ignored"));
  }

  private static void regRaw(List<Case> cases, String name, String body) {
    regRaw(cases, name, body, 400, "rejected");
  }

  private static void regRaw(List<Case> cases, String name, String body, int status, String result) {
    cases.add(new Case(name, WebhookServer.REGISTRY_PATH, registryHeaders(), Fixtures.utf8(body), false, status,
        result));
  }

  private static void reg(List<Case> cases, String name, int status, String result, Consumer<ObjectNode> change) {
    ObjectNode envelope = Fixtures.registryManifestOnly();
    change.accept(envelope);
    cases.add(new Case(name, WebhookServer.REGISTRY_PATH, registryHeaders(), Fixtures.bytes(envelope), false, status,
        result));
  }
}
