package dev.odooagent.metrics;

import dev.odooagent.deploy.RollbackReason;
import java.util.Arrays;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Every metric the agent exports, by the names CONTRACT.md fixes; each series carries {@code host}. */
public final class Metrics {
  /** Deploy outcomes, as in CONTRACT.md. */
  public static final List<String> OUTCOMES = List.of("success", "rolled_back", "failed", "skipped");
  /** Rollback reasons, as in CONTRACT.md. */
  public static final List<String> ROLLBACK_REASONS = Arrays.stream(RollbackReason.values()).map(RollbackReason::word).toList();
  /** Event sources, as in CONTRACT.md. */
  public static final List<String> SOURCES = List.of("github", "registry", "mqtt", "poll", "admin");
  /** Event results, as in CONTRACT.md. */
  public static final List<String> RESULTS = List.of("accepted", "ignored", "rejected", "duplicate");
  /** Notification results, as in CONTRACT.md. */
  public static final List<String> NOTIFY_RESULTS = List.of("sent", "failed");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final AtomicLong restarts = new AtomicLong();
  private final Info imageInfo;
  private final String hostId;
  private String[] imageLabels;
  private final Timer deployDuration;

  /** Registers every series for {@code hostId}, with JVM and process metrics. */
  public Metrics(String hostId, String version) {
    this.hostId = hostId;
    registry.config().commonTags("host", hostId)
        // promtool's lint rejects these two binder names (an abbreviated unit, a _count gauge)
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
    gauge("odoo_up", "1 when the last health probe of Odoo passed");
    gauge("odoo_health_probe_duration_seconds", "Latency of the last health probe");
    gauge("odoo_workers", "HTTP workers configured in the effective odoo.conf");
    gauge("odoo_worker_processes", "HTTP worker processes actually running in the container");
    gauge("odoo_max_cron_threads", "max_cron_threads in the effective odoo.conf");
    gauge("odoo_db_maxconn", "db_maxconn in the effective odoo.conf");
    gauge("odoo_limit_memory_soft_bytes", "limit_memory_soft per worker in the effective odoo.conf");
    gauge("odoo_limit_memory_hard_bytes", "limit_memory_hard per worker in the effective odoo.conf");
    gauge("odoo_container_memory_usage_bytes", "Memory usage of the Odoo container, from the engine");
    gauge("odoo_container_memory_limit_bytes", "Memory limit of the Odoo container, from the engine (0 = none)");
    gauge("odoo_agent_deploy_in_progress", "1 while a deploy runs");
    gauge("odoo_agent_pinned", "1 while a pin holds");
    gauge("odoo_agent_pending", "1 while a version waits for approval (deploy.auto: false) or its maintenance window (deploy.window)");
    gauge("odoo_agent_fleet_waiting", "1 while this host waits for an earlier wave of its fleet group (fleet.wave)");
    gauge("odoo_agent_mqtt_connected", "1 while connected to the MQTT broker");
    set("odoo_agent_mqtt_connected", false);
    gauge("odoo_agent_failed", "1 when a rollback also failed its gate and an operator must act");
    gauge("odoo_agent_ready", "1 when the agent can deploy: the container engine answers and no FAILED verdict waits");
    gauge("odoo_agent_registry_circuit_state", "Registry circuit breaker: 0 closed, 1 open, 2 half-open");
    FunctionCounter.builder("odoo_container_restarts", restarts, AtomicLong::doubleValue)
        .description("Engine restart count of the managed container").register(registry);
    // Info metrics go to the Prometheus registry directly: Micrometer's naming would strip their _info suffix.
    imageInfo = Info.builder().name("odoo_image_info").help("1 for the running image (tag, digest, revision)")
        .labelNames("host", "tag", "digest", "revision").register(registry.getPrometheusRegistry());
    Info build = Info.builder().name("odoo_agent_build_info").help("Build of this agent")
        .labelNames("host", "version").register(registry.getPrometheusRegistry());
    build.addLabelValues(hostId, version);
    for (String o : OUTCOMES) {
      deployCounter(o);
    }
    for (String r : ROLLBACK_REASONS) {
      rollbackCounter(r);
    }
    for (String r : NOTIFY_RESULTS) {
      notificationCounter(r);
    }
    for (String s : SOURCES) {
      for (String r : RESULTS) {
        eventCounter(s, r);
      }
    }
    deployDuration = Timer.builder("odoo_agent_deploy_duration").description("Deploy duration, event received to verdict")
        .serviceLevelObjectives(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
            Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1))
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  private void gauge(String name, String help) {
    AtomicLong bits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    gauges.put(name, bits);
    Gauge.builder(name, bits, b -> Double.longBitsToDouble(b.get())).description(help).register(registry);
  }

  private Counter deployCounter(String outcome) {
    return Counter.builder("odoo_agent_deployments").tag("outcome", outcome).description("Deploys by outcome").register(registry);
  }

  private Counter rollbackCounter(String reason) {
    return Counter.builder("odoo_agent_rollbacks").tag("reason", reason).description("Rollbacks by reason").register(registry);
  }

  private Counter eventCounter(String source, String result) {
    return Counter.builder("odoo_agent_events").tags("source", source, "result", result)
        .description("Events by source and result").register(registry);
  }

  private Counter notificationCounter(String result) {
    return Counter.builder("odoo_agent_notifications").tag("result", result)
        .description("Verdict notifications by result: sent, or failed after every retry").register(registry);
  }

  /** Counts a notification: sent, or failed after its retries. */
  public void notification(String result) {
    notificationCounter(result).increment();
  }

  /** Sets a gauge by its CONTRACT.md name; NaN means unknown. */
  public void set(String name, double value) {
    AtomicLong bits = gauges.get(name);
    if (bits == null) {
      throw new IllegalArgumentException("no gauge named " + name);
    }
    bits.set(Double.doubleToLongBits(value));
  }

  /** Sets a 0/1 gauge. */
  public void set(String name, boolean value) {
    set(name, value ? 1 : 0);
  }

  /** Records the engine's restart count of the managed container. */
  public void containerRestarts(long count) {
    restarts.set(count);
  }

  /** Marks the running image; replaces any earlier one. */
  public void image(String tag, String digest, String revision) {
    String[] labels = {hostId, nz(tag), nz(digest), nz(revision)};
    synchronized (imageInfo) {
      if (imageLabels != null && !Arrays.equals(imageLabels, labels)) {
        imageInfo.remove(imageLabels);
      }
      imageInfo.addLabelValues(labels);
      imageLabels = labels;
    }
  }

  /** Counts a finished deploy. */
  public void deployment(String outcome, Duration took) {
    deployCounter(outcome).increment();
    if (took != null) {
      deployDuration.record(took);
    }
  }

  /** Counts a rollback. */
  public void rollback(String reason) {
    rollbackCounter(reason).increment();
  }

  /** Counts an event. */
  public void event(String source, String result) {
    eventCounter(source, result).increment();
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  /** The content type of {@link #scrape()}. */
  public static String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
