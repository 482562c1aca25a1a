package dev.odooagent.it;

import static dev.odooagent.it.TestBed.await;
import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent observes a running Odoo on the real test bed and reports the truth about it: metrics, status, health. */
class AgentObservesRunningOdooIT {
  static OdooFixture odoo;
  static AgentProcess agent;
  /** 127.0.0.1:9780, which the bed's Prometheus scrapes, held from first to last test: other ITs need it too. */
  static AutoCloseable port;

  @BeforeAll
  static void up() throws IOException {
    port = TestBed.holdPort(9780);
    odoo = new OdooFixture("it-observe", "it_observe", 18171, false).fresh("latest").start("latest");
    // The test bed's Prometheus scrapes 127.0.0.1:9780, so this agent takes the default admin port.
    agent = new AgentProcess("observe", odoo, 9780, 19181).set("deploy.health_interval", "1s").start();
    await("first observation", Duration.ofSeconds(20), () -> agent.metric("odoo_up{host=\"it-observe\"}") == 1.0);
  }

  /**
   * Every test starts from a running Odoo that the agent has seen up and healthy, its workers started and counted (one
   * test stops it; after a start the prefork workers come up a moment after /web/health answers).
   */
  @BeforeEach
  void odooRunsAndIsSeenUp() {
    if (!"true".equals(docker("inspect", "--format", "{{.State.Running}}", odoo.name).strip())) {
      docker("start", odoo.name);
    }
    String h = "{host=\"it-observe\"}";
    await("odoo_up 1, health pass and every configured worker counted", Duration.ofSeconds(30),
        () -> agent.metric("odoo_up" + h) == 1.0 && "pass".equals(agent.status().getString("health"))
            && agent.metric("odoo_worker_processes" + h) == agent.metric("odoo_workers" + h));
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (agent != null) {
        agent.close();
      }
      if (odoo != null) {
        odoo.close();
      }
    } finally {
      if (port != null) {
        port.close();
      }
    }
  }

  @Test
  void aContainerFromLatestIsSeenWithTheRegistryDigestWorkersAndLimits() {
    JsonObject current = agent.status().getJsonObject("current");
    assertEquals("latest", current.getString("tag"));
    assertEquals(TestBed.digest("latest"), current.getString("digest"));
    assertEquals("pass", agent.status().getString("health"));
    String h = "{host=\"it-observe\"}";
    assertEquals(1.0, agent.metric("odoo_up" + h));
    assertEquals(2.0, agent.metric("odoo_workers" + h), "workers from the bind-mounted odoo.conf");
    long real = docker("top", odoo.name, "-eo", "pid,args").lines().filter(l -> l.contains("odoo: WorkerHTTP")).count();
    assertEquals(2, real, "the stand-in runs the configured workers");
    assertEquals((double) real, agent.metric("odoo_worker_processes" + h));
    assertEquals(1.0, agent.metric("odoo_max_cron_threads" + h));
    assertEquals(16.0, agent.metric("odoo_db_maxconn" + h));
    assertEquals(1073741824.0, agent.metric("odoo_limit_memory_soft_bytes" + h));
    assertEquals(1342177280.0, agent.metric("odoo_limit_memory_hard_bytes" + h));
    // the engine's stats arrive on its own 1 s tick, apart from the observation
    await("memory stats from the engine", Duration.ofSeconds(10),
        () -> agent.metric("odoo_container_memory_limit_bytes" + h) == 768.0 * 1024 * 1024);
    assertTrue(agent.metric("odoo_container_memory_usage_bytes" + h) > 0);
    assertEquals(0.0, agent.metric("odoo_container_restarts_total" + h));
    String info = agent.metrics().lines().filter(l -> l.startsWith("odoo_image_info{")).findFirst().orElse("");
    assertTrue(info.contains("tag=\"latest\"") && info.contains("digest=\"" + TestBed.digest("latest") + "\"")
        && info.endsWith(" 1"), info);
  }

  @Test
  void aStoppedContainerDropsOdooUpWithinTwoIntervalsAndComesBack() {
    docker("stop", odoo.name);
    // two 1 s intervals, plus one probe timeout of slack for a loaded machine
    await("odoo_up 0 after stop", Duration.ofSeconds(2 + 4), () -> agent.metric("odoo_up{host=\"it-observe\"}") == 0.0);
    assertEquals("fail", agent.status().getString("health"));
    docker("start", odoo.name);
    await("odoo_up 1 after start", Duration.ofSeconds(30), () -> agent.metric("odoo_up{host=\"it-observe\"}") == 1.0);
  }

  @Test
  void promtoolAcceptsTheMetricsAndARealPrometheusScrapesThem() throws IOException {
    Path file = Files.createTempFile("metrics", ".txt");
    Files.writeString(file, agent.metrics());
    TestBed.Result r = TestBed.exec(List.of("sh", "-c", "promtool check metrics < " + file), Map.of(), Duration.ofSeconds(30));
    assertEquals(0, r.code(), "promtool check metrics: " + r.out() + r.err());
    String query = TestBed.env("PROMETHEUS_URL") + "/api/v1/query?query="
        + URLEncoder.encode("odoo_up{job=\"odoo-agent\",host=\"it-observe\"}", StandardCharsets.UTF_8);
    await("Prometheus to scrape odoo_up from the agent", Duration.ofSeconds(30), () -> {
      TestBed.Result q = TestBed.exec(List.of("curl", "-sf", query), Map.of(), Duration.ofSeconds(10));
      if (q.code() != 0) {
        return false;
      }
      String body = q.out();
      JsonObject res = new JsonObject(body).getJsonObject("data");
      return !res.getJsonArray("result").isEmpty()
          && "1".equals(res.getJsonArray("result").getJsonObject(0).getJsonArray("value").getString(1));
    });
  }

  @Test
  void containerSecretsNeverAppearInMetricsStatusOrLogs() {
    String dbPassword = TestBed.secret("PG_PASSWORD_FILE");
    for (String text : List.of(agent.metrics(), agent.status().encode(), agent.get("/history").body(), agent.log())) {
      assertFalse(text.contains(dbPassword), "the database password leaked");
      assertFalse(text.contains("it-admin"), "the Odoo admin password leaked");
    }
  }
}
