package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the integration tests share about a running agent and the bed: metric sums, finished deploys in /history,
 * stopping and restoring test bed daemons, and pushes to the test bed registry. Webhook deliveries are in
 * {@link Webhooks}, the MQTT operator in {@link MqttOperator}, the bed's settings in {@link TestBed}.
 */
final class EventsSupport {
  static final List<String> OUTCOMES = List.of("success", "rolled_back", "failed", "skipped");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private EventsSupport() {}

  /** A short random suffix, so reruns and concurrent runs never share topics, ids or images. */
  static String nonce() {
    return Long.toHexString(System.currentTimeMillis()) + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
  }

  static Path secretFile(String name, String content) throws IOException {
    Path f = Files.createTempFile(name, ".secret", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, content);
    f.toFile().deleteOnExit();
    return f;
  }

  // ---------------------------------------------------------------------------------------------- agent

  // ---------------------------------------------------------------------------------------------- metrics

  /** One Prometheus sample. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static List<Sample> samples(String text) {
    List<Sample> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new HashMap<>();
      if (brace > 0 && brace < space) {
        name = line.substring(0, brace);
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      } else {
        name = line.substring(0, line.indexOf(' '));
      }
      out.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return out;
  }

  /** The sum of all samples of {@code name} whose labels include the given {@code key, value} pairs. */
  static double sum(String metricsText, String name, String... pairs) {
    double total = 0;
    boolean seen = false;
    for (Sample s : samples(metricsText)) {
      if (!s.name().equals(name)) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < pairs.length; i += 2) {
        match &= pairs[i + 1].equals(s.labels().get(pairs[i]));
      }
      if (match) {
        total += s.value();
        seen = true;
      }
    }
    return seen ? total : Double.NaN;
  }

  static double metric(AgentProcess agent, String name, String... pairs) {
    return sum(agent.metrics(), name, pairs);
  }

  /** {@code odoo_agent_deployments_total} per outcome. */
  static Map<String, Double> deployments(AgentProcess agent) {
    String text = agent.metrics();
    Map<String, Double> m = new LinkedHashMap<>();
    for (String o : OUTCOMES) {
      m.put(o, sum(text, "odoo_agent_deployments_total", "outcome", o));
    }
    return m;
  }

  static double events(AgentProcess agent, String source, String result) {
    return metric(agent, "odoo_agent_events_total", "source", source, "result", result);
  }

  /** {@code odoo_agent_events_total} per result for one source. */
  static Map<String, Double> events(AgentProcess agent, String source) {
    String text = agent.metrics();
    Map<String, Double> m = new LinkedHashMap<>();
    for (String r : List.of("accepted", "ignored", "rejected", "duplicate")) {
      m.put(r, sum(text, "odoo_agent_events_total", "source", source, "result", r));
    }
    return m;
  }

  /** The finished deploy matching {@code p} in /history, if any. */
  static Optional<JsonObject> deploy(AgentProcess agent, Predicate<JsonObject> p) {
    for (Object o : agent.history()) {
      if (p.test((JsonObject) o)) {
        return Optional.of((JsonObject) o);
      }
    }
    return Optional.empty();
  }

  /** Waits until /history holds a finished deploy matching {@code p} and none runs, and returns it. */
  static JsonObject awaitDeploy(AgentProcess agent, String what, Duration timeout, Predicate<JsonObject> p) {
    JsonObject[] found = new JsonObject[1];
    TestBed.await(what + " (log: " + agent.log + ")", timeout, () -> {
      found[0] = deploy(agent, p).orElse(null);
      return found[0] != null && !agent.status().getBoolean("deploy_in_progress");
    });
    return found[0];
  }

  static Predicate<JsonObject> bySource(String source, String digest) {
    return d -> source.equals(d.getString("source")) && d.getJsonObject("to") != null
        && digest.equals(d.getJsonObject("to").getString("digest"));
  }

  // ---------------------------------------------------------------------------------------------- test bed daemons

  /** {@code scripts/testbed} of this checkout, or the one named by {@code -Dtestbed.script}. */
  static Path testbedScript() {
    String given = System.getProperty("testbed.script");
    Path script = given != null ? Path.of(given) : Path.of(System.getProperty("project.root", "..")).resolve("scripts/testbed");
    if (!Files.isExecutable(script)) {
      fail(script + " is missing: it restores the registry and broker these tests stop (pass -Dtestbed.script=PATH)");
    }
    return script;
  }

  /** {@code scripts/testbed up --no-images}: restarts whatever the test bed misses, idempotently. */
  static void testbedUp() {
    TestBed.Result r = TestBed.exec(List.of(testbedScript().toString(), "up", "--no-images"), Map.of(), Duration.ofMinutes(10));
    if (r.code() != 0) {
      fail("scripts/testbed up --no-images exited " + r.code() + ": " + r.err());
    }
  }

  /** The pid the test bed recorded for a daemon ({@code registry}, {@code mosquitto}). */
  static long daemonPid(String name) throws IOException {
    return Long.parseLong(Files.readString(TestBed.DIR.resolve("run/" + name + ".pid")).strip());
  }

  static boolean processGone(long pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  /** Stops a test bed daemon by its recorded pid (SIGTERM) and waits until it is gone. */
  static void stopDaemon(String name) throws IOException {
    testbedScript(); // never stop what cannot be brought back
    long pid = daemonPid(name);
    if (processGone(pid)) {
      fail("the test bed's " + name + " (pid " + pid + ") is not running; run scripts/testbed up");
    }
    TestBed.sh("kill", "-TERM", Long.toString(pid));
    TestBed.await(name + " pid " + pid + " to exit", Duration.ofSeconds(30), () -> processGone(pid));
  }

  /** Whether the test bed registry answers its API (200 or 401 on /v2/). */
  static boolean registryAnswers() {
    try {
      int code = HTTP.send(HttpRequest.newBuilder(URI.create(TestBed.env("REGISTRY_URL") + "/v2/")).timeout(Duration.ofSeconds(3)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
      return code == 200 || code == 401;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------- registry pushes

  /** The docker CLI logged in to the test bed registry through a throwaway DOCKER_CONFIG. */
  static final class Registry implements AutoCloseable {
    final Path dockerConfig;

    Registry() throws IOException {
      dockerConfig = Files.createTempDirectory("it-ev-docker");
      Process p = new ProcessBuilder("docker", "--config", dockerConfig.toString(), "login", TestBed.env("REGISTRY"), "-u",
          TestBed.env("REGISTRY_USER"), "--password-stdin")
          .redirectInput(Path.of(TestBed.env("REGISTRY_PASSWORD_FILE")).toFile()).redirectErrorStream(true)
          .redirectOutput(dockerConfig.resolve("login.log").toFile()).directory(dockerConfig.toFile()).start();
      try {
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          fail("docker login failed: " + Files.readString(dockerConfig.resolve("login.log")));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    String docker(String... args) {
      List<String> cmd = new ArrayList<>(List.of("docker", "--config", dockerConfig.toString()));
      cmd.addAll(List.of(args));
      TestBed.Result r = TestBed.exec(cmd, Map.of("DOCKER_BUILDKIT", "0"), Duration.ofMinutes(5));
      if (r.code() != 0) {
        fail(String.join(" ", cmd) + " exited " + r.code() + ": " + r.err() + r.out());
      }
      return r.out();
    }

    /** Builds an image FROM {@code base} with a unique label (so its digest is new) and tags it {@code ref}. */
    void buildVariant(String base, String ref, String label) throws IOException {
      Path ctx = Files.createTempDirectory("it-ev-build");
      Files.writeString(ctx.resolve("Dockerfile"), "FROM " + base + "\nLABEL dev.odooagent.it.run=\"" + label + "\"\n");
      try {
        docker("build", "-q", "-t", ref, ctx.toString());
      } finally {
        TestBed.exec(List.of("rm", "-rf", ctx.toString()), Map.of(), Duration.ofSeconds(30));
      }
    }

    /** {@code docker push} and the manifest digest it reports. */
    String push(String ref) {
      String out = docker("push", ref);
      Matcher m = Pattern.compile("digest: (sha256:[0-9a-f]{64})").matcher(out);
      if (!m.find()) {
        fail("docker push " + ref + " printed no digest: " + out);
      }
      return m.group(1);
    }

    /** Deletes a manifest (and so every tag on it) from the test bed registry through its API. */
    int deleteManifest(String digest) throws IOException {
      String auth = TestBed.env("REGISTRY_USER") + ":" + TestBed.secret("REGISTRY_PASSWORD_FILE");
      try {
        return HTTP.send(HttpRequest.newBuilder(URI.create(TestBed.env("REGISTRY_URL") + "/v2/" + Webhooks.REPOSITORY + "/manifests/" + digest))
            .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)))
            .timeout(Duration.ofSeconds(20)).DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws IOException {
      TestBed.exec(List.of("rm", "-rf", dockerConfig.toString()), Map.of(), Duration.ofSeconds(30));
    }
  }
}
