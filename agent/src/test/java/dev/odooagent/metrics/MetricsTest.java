package dev.odooagent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
  /** Every metric name CONTRACT.md lists, as it must appear in the exposition. */
  static final List<String> CONTRACT = List.of(
      "odoo_up", "odoo_health_probe_duration_seconds", "odoo_workers", "odoo_worker_processes", "odoo_max_cron_threads",
      "odoo_db_maxconn", "odoo_limit_memory_soft_bytes", "odoo_limit_memory_hard_bytes", "odoo_container_memory_usage_bytes",
      "odoo_container_memory_limit_bytes", "odoo_container_restarts_total", "odoo_image_info", "odoo_agent_deployments_total",
      "odoo_agent_rollbacks_total", "odoo_agent_deploy_duration_seconds_bucket", "odoo_agent_deploy_in_progress",
      "odoo_agent_pinned", "odoo_agent_events_total", "odoo_agent_mqtt_connected", "odoo_agent_build_info");

  @Test
  void exposesEveryContractNameAndEverySeriesCarriesHost() {
    Metrics m = new Metrics("h1", "1.2.3");
    m.image("v1", "sha256:abc", "rev1");
    String text = m.scrape();
    for (String name : CONTRACT) {
      assertTrue(text.lines().anyMatch(l -> l.startsWith(name + "{")), name + " missing");
    }
    text.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> assertTrue(l.contains("host=\"h1\""), "no host label: " + l));
  }

  @Test
  void imageInfoReplacesTheEarlierImage() {
    Metrics m = new Metrics("h1", "1.2.3");
    m.image("v1", "sha256:aaa", "r1");
    m.image("v2", "sha256:bbb", "r2");
    List<String> rows = m.scrape().lines().filter(l -> l.startsWith("odoo_image_info{")).toList();
    assertEquals(1, rows.size(), rows.toString());
    assertTrue(rows.get(0).contains("tag=\"v2\""));
  }

  @Test
  void countsDeploysByOutcomeAndRecordsDuration() {
    Metrics m = new Metrics("h1", "1.2.3");
    m.deployment("rolled_back", Duration.ofSeconds(42));
    m.rollback("health_failed");
    String text = m.scrape();
    assertTrue(text.contains("odoo_agent_deployments_total{host=\"h1\",outcome=\"rolled_back\"} 1.0"), text);
    assertTrue(text.contains("odoo_agent_rollbacks_total{host=\"h1\",reason=\"health_failed\"} 1.0"), text);
    assertTrue(text.contains("odoo_agent_deploy_duration_seconds_count{host=\"h1\"} 1"), text);
    assertFalse(text.contains("odoo_agent_deployments_total{host=\"h1\",outcome=\"success\"} 1.0"));
  }
}
