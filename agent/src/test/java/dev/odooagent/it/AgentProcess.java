package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The real agent jar run as a child process with a generated config, as systemd would run it. */
final class AgentProcess implements AutoCloseable {
  static final Path JAR = Path.of(System.getProperty("agent.jar", "target/odoo-agent.jar"));
  final Path dir;
  final Path config;
  final Path log;
  final int adminPort;
  final int hookPort;
  final String adminToken = "it-admin-token-" + Long.toHexString(System.nanoTime());
  private final Map<String, Object> settings = new LinkedHashMap<>();
  private Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** An agent for {@code fixture}'s container, listening on the given ports; {@code settings} are dotted config keys. */
  AgentProcess(String name, OdooFixture fixture, int adminPort, int hookPort) throws IOException {
    this.dir = Files.createTempDirectory("agent-" + name);
    this.config = dir.resolve("agent.yaml");
    this.log = dir.resolve("agent.log");
    this.adminPort = adminPort;
    this.hookPort = hookPort;
    Files.writeString(dir.resolve("admin-token"), adminToken);
    set("host_id", "it-" + name);
    set("state_dir", dir.resolve("state").toString());
    set("service.container", fixture == null ? "it-none" : fixture.name);
    set("service.image", TestBed.image());
    set("service.tag_pattern", "^[a-z0-9-]+$");
    set("service.database", fixture == null ? "odoo" : fixture.database);
    set("registry.url", TestBed.env("REGISTRY_URL"));
    set("registry.username", TestBed.env("REGISTRY_USER"));
    set("registry.password_file", TestBed.env("REGISTRY_PASSWORD_FILE"));
    set("registry.poll_interval", "0");
    set("deploy.health_url", fixture == null ? "http://127.0.0.1:1/web/health" : fixture.healthUrl());
    set("deploy.health_interval", "500ms");
    set("deploy.healthy_threshold", "3");
    set("deploy.health_timeout", "20s");
    set("deploy.upgrade_timeout", "60s");
    set("deploy.coalesce_window", "0");
    // the test bed's images are shared by every test: pruning is proved in DeployerTest, not on them
    set("deploy.keep_images", "100");
    // every IT asserts that no safety copy is left; keeping one for rollback --restore-database is proved in its own IT
    set("deploy.keep_copy", "0");
    set("deploy.rollback_timeout", "1m");
    set("http.listen", "127.0.0.1:" + adminPort);
    set("http.admin_token_file", dir.resolve("admin-token").toString());
    set("webhooks.listen", "127.0.0.1:" + hookPort);
    set("webhooks.github_secret_file", "");
    set("webhooks.registry_token_file", "");
    set("mqtt.url", "");
  }

  AgentProcess set(String key, Object value) {
    settings.put(key, value);
    return this;
  }

  /** Writes the config as nested YAML, one mapping per section. */
  void writeConfig() throws IOException {
    Map<String, StringBuilder> sections = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : settings.entrySet()) {
      String k = e.getKey();
      int dot = k.indexOf('.');
      String value = e.getValue() instanceof List<?> l ? new JsonArray(new ArrayList<>(l)).encode()
          : "'" + String.valueOf(e.getValue()).replace("'", "''") + "'";
      String section = dot < 0 ? "" : k.substring(0, dot);
      String line = (dot < 0 ? k : "  " + k.substring(dot + 1)) + ": " + value + "\n";
      sections.computeIfAbsent(section, x -> new StringBuilder()).append(line);
    }
    StringBuilder sb = new StringBuilder(sections.getOrDefault("", new StringBuilder()));
    sections.forEach((section, lines) -> {
      if (!section.isEmpty()) {
        sb.append(section).append(":\n").append(lines);
      }
    });
    Files.writeString(config, sb.toString());
  }

  /** Starts the daemon and waits for /healthz. */
  AgentProcess start() throws IOException {
    writeConfig();
    ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("project.root", "..")).resolve("agent/bin/odoo-agent").toString(),
        "run", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("JAVA_OPTS", "-Dorg.slf4j.simpleLogger.log.dev.odooagent=debug");
    process = pb.start();
    TestBed.await("agent /healthz on " + adminPort + " (log: " + log + ")", Duration.ofSeconds(120), () -> {
      if (!process.isAlive()) {
        // an Error, not an exception: the wait must stop here rather than take it as "not yet"
        throw new AssertionError("agent exited " + process.exitValue() + ": " + log());
      }
      return get("/healthz").statusCode() == 200;
    });
    return this;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, as a crash or the OOM killer would. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM and wait. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      process.waitFor();
    }
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }

  HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> post(String path, JsonObject body) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(10))
          .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  JsonObject status() {
    return new JsonObject(get("/status").body());
  }

  JsonArray history() {
    return new JsonArray(get("/history?limit=50").body());
  }

  String metrics() {
    return get("/metrics").body();
  }

  /** The value of one series (exact label set as printed), or NaN when absent. */
  double metric(String series) {
    return metrics().lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst().orElse(Double.NaN);
  }

  /** Deploys via the admin API and returns the deploy id. */
  String deploy(JsonObject target) {
    HttpResponse<String> r = post("/deploy", target);
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("deploy_id");
  }

  /** Waits for the deploy's verdict in /history and returns its record. */
  JsonObject awaitVerdict(String deployId, Duration timeout) {
    JsonObject[] found = new JsonObject[1];
    TestBed.await("verdict of deploy " + deployId + " (log: " + log + ")", timeout, () -> {
      for (Object o : history()) {
        JsonObject d = (JsonObject) o;
        if (deployId.equals(d.getString("id"))) {
          found[0] = d;
          return !status().getBoolean("deploy_in_progress");
        }
      }
      return false;
    });
    return found[0];
  }

  /** Runs the CLI against this agent's config, as an operator in a shell would. */
  TestBed.Result cli(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("project.root", "..")).resolve("agent/bin/odoo-agent").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--config", config.toString()));
    return TestBed.exec(cmd, Map.of(), Duration.ofMinutes(1));
  }

  /** The journal's lines. */
  List<JsonObject> journal() {
    Path j = dir.resolve("state/journal.jsonl");
    try {
      return Files.exists(j) ? Files.readAllLines(j).stream().filter(l -> !l.isBlank()).map(JsonObject::new).toList() : List.of();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    try {
      // the log and journal stay for a look after a failure; the token does not
      Files.deleteIfExists(dir.resolve("admin-token"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
