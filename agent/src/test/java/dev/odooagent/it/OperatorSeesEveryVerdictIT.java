package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: an operator who deploys with {@code --wait} sees the steps and the verdict in the exit code, hears of every
 * verdict in the chat (without a secret in any message), and sees the running tag and a rollback's reason on the page,
 * rendered by a real headless Chromium.
 */
class OperatorSeesEveryVerdictIT {
  static final Path SHOTS = Path.of(System.getProperty("project.root", "..")).resolve("agent/target/screenshots");
  static final String URL_TOKEN = "T0K3N-" + Long.toHexString(System.nanoTime());

  OdooFixture odoo;
  AgentProcess agent;
  Vertx vertx;
  final List<JsonObject> posts = new CopyOnWriteArrayList<>();
  final List<String> raw = new CopyOnWriteArrayList<>();

  @AfterEach
  void down() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (odoo != null) {
      odoo.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** A chat webhook stand-in on loopback; its first request of each deploy fails, so every message is retried once. */
  private int receiver() throws Exception {
    vertx = Vertx.vertx();
    List<String> failedOnce = new CopyOnWriteArrayList<>();
    HttpServer s = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      JsonObject body = b.toJsonObject();
      raw.add(req.path() + " " + b);
      if (!failedOnce.contains(body.getString("deploy_id"))) {
        failedOnce.add(body.getString("deploy_id"));
        req.response().setStatusCode(502).end();
        return;
      }
      posts.add(body);
      req.response().end("ok");
    }));
    return s.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
  }

  private TestBed.Result cli(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("project.root", "..")).resolve("agent/bin/odoo-agent").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--config", agent.config.toString()));
    return TestBed.exec(cmd, Map.of(), Duration.ofMinutes(3));
  }

  private static TestBed.Result chromium(String... args) {
    List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--user-data-dir=" + SHOTS.resolve("profile")));
    cmd.addAll(List.of(args));
    return TestBed.exec(cmd, Map.of(), Duration.ofMinutes(2));
  }

  private JsonObject post(String deployId) {
    TestBed.await("the notification of deploy " + deployId + " (log: " + agent.log + ")", Duration.ofSeconds(30),
        () -> posts.stream().anyMatch(p -> deployId.equals(p.getString("deploy_id"))));
    return posts.stream().filter(p -> deployId.equals(p.getString("deploy_id"))).findFirst().orElseThrow();
  }

  private static String deployId(TestBed.Result r) {
    return r.out().lines().filter(l -> l.startsWith("accepted: deploy ")).map(l -> l.substring("accepted: deploy ".length()).strip())
        .findFirst().orElseThrow(() -> new AssertionError("no deploy id in: " + r.out() + r.err()));
  }

  @Test
  void anOperatorFollowsEachVerdictFromTheCliTheChatAndThePage() throws Exception {
    odoo = new OdooFixture("it-op", "it_op", 18160, false).fresh("v1").start("v1");
    int port = receiver();
    agent = new AgentProcess("operator", odoo, 19160, 19170);
    Path urlFile = agent.dir.resolve("notify-url");
    Files.writeString(urlFile, "http://127.0.0.1:" + port + "/hooks/" + URL_TOKEN + "\n");
    agent.set("deploy.upgrade", "all").set("notify.webhook_url_file", urlFile.toString()).start();

    TestBed.Result ok = cli("deploy", "v2", "--wait");
    System.out.println("odoo-agent deploy v2 --wait:\n" + ok.out() + ok.err());
    assertEquals(0, ok.code(), ok.out() + ok.err());
    String success = deployId(ok);
    assertTrue(ok.out().contains("following deploy " + success), ok.out());
    for (String step : List.of("pull", "plan", "stop old", "upgrade", "start new", "await healthy")) {
      assertTrue(ok.out().lines().anyMatch(l -> l.contains(step) && l.contains("done in ")), step + " with its duration in:\n" + ok.out());
    }
    assertTrue(ok.out().lines().anyMatch(l -> l.startsWith("success: ") && l.contains("-> v2 in ")), ok.out());

    TestBed.Result back = cli("deploy", "upgrade-fails", "--wait");
    System.out.println("odoo-agent deploy upgrade-fails --wait:\n" + back.out() + back.err());
    assertEquals(1, back.code(), back.out() + back.err());
    String rolledBack = deployId(back);
    assertTrue(back.err().contains("deploy " + rolledBack + " rolled_back: v2 -> upgrade-fails in "), back.err());
    assertTrue(back.err().contains("module upgrade exited 1"), "the reason: " + back.err());

    TestBed.Result bad = cli("deploy", "no-such-tag", "--wait");
    assertEquals(1, bad.code(), bad.out() + bad.err());
    String failed = deployId(bad);
    assertTrue(bad.err().contains("deploy " + failed + " failed: "), bad.err());
    assertTrue(bad.err().contains("nothing was changed"), bad.err());

    TestBed.Result nowait = cli("deploy", "v2");
    assertEquals(0, nowait.code(), nowait.err());
    assertFalse(nowait.out().contains("following"), "without --wait the CLI returns once the deploy is queued: " + nowait.out());
    assertEquals("skipped", agent.awaitVerdict(deployId(nowait), Duration.ofSeconds(60)).getString("outcome"), "v2 runs already");

    JsonObject s = post(success);
    assertEquals("success", s.getString("outcome"));
    assertEquals("it-operator", s.getString("host"));
    assertEquals("v1", s.getJsonObject("from").getString("tag"));
    assertEquals("v2", s.getJsonObject("to").getString("tag"));
    assertTrue(s.getDouble("duration_seconds") > 0, s.encode());
    assertTrue(s.getString("text").startsWith(":white_check_mark: it-operator now runs v2 (was v1)"), s.getString("text"));
    JsonObject r = post(rolledBack);
    assertEquals("rolled_back", r.getString("outcome"));
    assertTrue(r.getString("reason").contains("module upgrade exited 1"), r.encode());
    assertTrue(r.getString("text").startsWith(":rewind: it-operator rolled back upgrade-fails and runs v2 again"), r.getString("text"));
    JsonObject f = post(failed);
    assertEquals("failed", f.getString("outcome"));
    assertEquals("no-such-tag", f.getJsonObject("to").getString("tag"));
    assertEquals(3, posts.size(), "skipped is not in the default notify.on");
    assertEquals(6, raw.size(), "each message failed once (HTTP 502) and was retried once");
    assertEquals(3.0, agent.metric("odoo_agent_notifications_total{host=\"it-operator\",result=\"sent\"}"));
    assertEquals(0.0, agent.metric("odoo_agent_notifications_total{host=\"it-operator\",result=\"failed\"}"));

    List<String> secrets = List.of(agent.adminToken, URL_TOKEN, TestBed.secret("REGISTRY_PASSWORD_FILE"),
        TestBed.secret("PG_PASSWORD_FILE"), "it-admin");
    for (JsonObject p : posts) {
      String body = p.encode();
      for (String secret : secrets) {
        assertFalse(body.contains(secret), "a secret in the message of deploy " + p.getString("deploy_id"));
      }
      for (String envish : List.of("ODOO_AGENT_", "PASSWORD", "PGPASS", "Bearer", "Env")) {
        assertFalse(body.contains(envish), envish + " in " + body);
      }
    }
    assertFalse(agent.log().contains(URL_TOKEN), "the webhook URL holds a token: it is never logged");
    TestBed.Result check = cli("check-config");
    assertEquals(0, check.code(), check.err());
    assertFalse(check.out().contains(URL_TOKEN), check.out());
    assertTrue(check.out().contains("webhook_url_file: '" + urlFile + "'"), check.out());

    Files.createDirectories(SHOTS);
    String page = "http://127.0.0.1:" + agent.adminPort + "/";
    TestBed.Result dom = chromium("--dump-dom", page);
    assertEquals(0, dom.code(), dom.err());
    String html = dom.out();
    assertTrue(html.contains("<tr id=\"current\"><th>current</th><td class=\"tag\">v2</td>"), "the running tag in:\n" + html);
    assertTrue(html.contains("<td class=\"outcome\">rolled_back</td>"), html);
    assertTrue(html.contains("module upgrade exited 1"), "the rollback's reason in:\n" + html);
    assertTrue(html.contains("health: pass"), html);
    assertFalse(html.contains(agent.adminToken), "no token on the page");
    Path shot = SHOTS.resolve("status-page.png");
    Files.deleteIfExists(shot);
    TestBed.Result png = chromium("--window-size=1280,900", "--hide-scrollbars", "--screenshot=" + shot, page);
    assertEquals(0, png.code(), png.err());
    assertTrue(Files.size(shot) > 10_000, "a screenshot of the page at " + shot);
    System.out.println("status page screenshot: " + shot);
  }
}
