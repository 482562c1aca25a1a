package dev.odooagent.it;

import static dev.odooagent.it.TestBed.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 6: the test bed's real Prometheus scrapes the running agent; every dashboard and alert expression parses and returns data. */
class OpsIT {
  static final String HOST = "it-ops";
  static final Path ROOT = Path.of(System.getProperty("project.root", ".."));
  static OdooFixture odoo;
  static AgentProcess agent;
  /** 127.0.0.1:9780, which the bed's Prometheus scrapes, held from first to last test: other ITs need it too. */
  static AutoCloseable port;

  @BeforeAll
  static void up() throws IOException {
    port = TestBed.holdPort(9780);
    odoo = new OdooFixture("it-ops", "it_ops", 18170, false).fresh("v1").start("v1");
    // the test bed's Prometheus scrapes 127.0.0.1:9780 every second
    agent = new AgentProcess("ops", odoo, 9780, 19182).start();
    agent.deploy(new JsonObject().put("tag", "v2"));
    await("a deploy to finish, so deploy series have moved", Duration.ofSeconds(90), () ->
        !agent.history().isEmpty() && !agent.status().getBoolean("deploy_in_progress"));
    // rate() and increase() over 30 s need samples on both sides of the deploy
    await("Prometheus to hold 30 s of the agent's series", Duration.ofSeconds(90), () ->
        !query("count_over_time(odoo_up{host=\"" + HOST + "\"}[30s]) >= 20").isEmpty());
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

  /** Evaluates an expression now; fails the test when Prometheus rejects it. */
  static JsonArray query(String expr) {
    TestBed.Result r = TestBed.exec(List.of("curl", "-s", TestBed.env("PROMETHEUS_URL") + "/api/v1/query?query="
        + URLEncoder.encode(expr, StandardCharsets.UTF_8)), Map.of(), Duration.ofSeconds(30));
    JsonObject body = new JsonObject(r.out());
    assertEquals("success", body.getString("status"), "Prometheus rejected " + expr + ": " + body.getString("error"));
    return body.getJsonObject("data").getJsonArray("result");
  }

  static String forHost(String expr) {
    return expr.replace("$host", HOST).replace("$__rate_interval", "30s").replace("$__interval", "30s").replace("$__range", "5m");
  }

  @Test
  void everyDashboardQueryParsesAndReturnsDataForTheHost() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(ROOT.resolve("dashboards/grafana/odoo-agent.json").toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    assertTrue(exprs.size() >= 20, "the dashboard's queries: " + exprs);
    for (String expr : exprs) {
      JsonArray result = query(forHost(expr));
      assertFalse(result.isEmpty(), "no data for dashboard query " + expr);
    }
    String variable = "";
    for (JsonNode v : dashboard.at("/templating/list")) {
      if (v.path("name").asText().equals("host")) {
        variable = v.path("query").toString();
      }
    }
    assertTrue(variable.contains("label_values(odoo_agent_build_info, host)"), variable);
    assertFalse(query("odoo_agent_build_info{host=\"" + HOST + "\"}").isEmpty(), "the host variable's source series");
  }

  @Test
  void everyAlertExpressionParsesAndEverySeriesItReadsHasData() throws IOException {
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("dashboards/alerts.yml").toFile());
    Set<String> alerts = new LinkedHashSet<>();
    Set<String> metrics = new LinkedHashSet<>();
    Pattern metric = Pattern.compile("\\b(odoo_[a-z_]+|up)\\b(?![a-z_]*\\()");
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        String expr = rule.get("expr").asText();
        alerts.add(rule.get("alert").asText());
        query(expr);
        Matcher m = metric.matcher(expr);
        while (m.find()) {
          metrics.add(m.group(1));
        }
      }
    }
    assertEquals(Set.of("OdooDown", "DeployRolledBack", "DeployFailed", "AgentNotReady", "AgentDown", "MemoryNearHardLimit",
        "WorkersBelowConfigured", "PinnedForLong"), alerts);
    for (String name : metrics) {
      // up is the scrape's own series: it carries the target's labels, not the agent's host label
      String selector = name.equals("up") ? "up{job=\"odoo-agent\",instance=\"127.0.0.1:9780\"} == 1" : name + "{host=\"" + HOST + "\"}";
      assertFalse(query(selector).isEmpty(), "no data for " + selector + ", which an alert reads");
    }
    assertTrue(metrics.containsAll(List.of("odoo_up", "odoo_workers", "odoo_worker_processes", "odoo_agent_pinned", "up")), metrics.toString());
    assertTrue(Files.exists(ROOT.resolve("dashboards/alerts.test.yml")), "promtool rule tests (run by scripts/check-ops)");
  }
}
