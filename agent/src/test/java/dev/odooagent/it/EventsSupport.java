package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
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
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the issue 4 event ITs share: agent config ordering, metric sums, stopping and restoring test bed daemons,
 * signed GitHub deliveries and registry envelopes, pushes to the test bed registry, and the real mosquitto clients.
 */
final class EventsSupport {
  /** The GHCR name GitHub package events carry for the test bed image ({@code webhooks.github_image}). */
  static final String GHCR_IMAGE = "ghcr.io/jgtolentino/odoo-ce";
  static final String REPOSITORY = "jgtolentino/odoo-ce";
  static final String MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
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

  // ---------------------------------------------------------------------------------------------- webhooks

  /** An HTTP answer. */
  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** POSTs raw bytes with the given headers to the agent's webhook listener. */
  static Reply post(int port, String path, Map<String, String> headers, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Reply get(int port, String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Hex HMAC-SHA256, computed here with the JDK rather than with the product's code. */
  static String hmacHex(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(data));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code X-Hub-Signature-256} GitHub sends for this body. */
  static String githubSignature(String secret, byte[] body) {
    return "sha256=" + hmacHex(secret.getBytes(StandardCharsets.UTF_8), body);
  }

  /** Headers of a GitHub delivery. */
  static Map<String, String> githubHeaders(String event, String delivery, String signature) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("User-Agent", "GitHub-Hookshot/it");
    if (event != null) {
      h.put("X-GitHub-Event", event);
    }
    if (delivery != null) {
      h.put("X-GitHub-Delivery", delivery);
    }
    if (signature != null) {
      h.put("X-Hub-Signature-256", signature);
    }
    return h;
  }

  /** A GitHub {@code package} event payload for a container version, shaped as GitHub sends it. */
  static JsonObject packageEvent(String action, String owner, String name, String packageType, String tag, String digest) {
    JsonObject tagObj = new JsonObject().put("name", tag).put("digest", digest);
    return new JsonObject()
        .put("action", action)
        .put("package", new JsonObject()
            .put("id", 4242).put("name", name).put("namespace", owner).put("description", "")
            .put("ecosystem", packageType).put("package_type", packageType)
            .put("html_url", "https://github.com/" + owner + "/" + name + "/pkgs/container/" + name)
            .put("owner", new JsonObject().put("login", owner).put("id", 1).put("type", "User"))
            .put("package_version", new JsonObject()
                .put("id", 777).put("version", digest).put("name", digest)
                .put("container_metadata", new JsonObject().put("tag", tagObj)
                    .put("manifest", new JsonObject().put("digest", digest).put("media_type", MANIFEST_V2)))
                .put("package_url", "ghcr.io/" + owner + "/" + name + ":" + tag))
            .put("registry", new JsonObject().put("name", "GitHub CR").put("type", "docker")
                .put("url", "https://ghcr.io/" + owner).put("vendor", "GitHub Inc")))
        .put("repository", new JsonObject().put("full_name", owner + "/" + name))
        .put("sender", new JsonObject().put("login", owner));
  }

  /** One Docker Distribution notification event. */
  static JsonObject registryEvent(String id, String action, String mediaType, String repository, String tag, String digest) {
    JsonObject target = new JsonObject().put("mediaType", mediaType).put("size", 1234).put("digest", digest)
        .put("length", 1234).put("repository", repository)
        .put("url", TestBed.env("REGISTRY_URL") + "/v2/" + repository + "/manifests/" + digest);
    if (tag != null) {
      target.put("tag", tag);
    }
    return new JsonObject().put("id", id).put("timestamp", "2026-01-01T00:00:00Z").put("action", action)
        .put("target", target)
        .put("request", new JsonObject().put("id", UUID.randomUUID().toString()).put("addr", "127.0.0.1:1")
            .put("host", TestBed.env("REGISTRY")).put("method", "PUT").put("useragent", "docker/it"))
        .put("actor", new JsonObject().put("name", TestBed.env("REGISTRY_USER")))
        .put("source", new JsonObject().put("addr", "it:5000").put("instanceID", "it"));
  }

  static byte[] envelope(JsonObject... events) {
    return new JsonObject().put("events", new JsonArray(List.of((Object[]) events))).encode().getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, String> registryHeaders(String authorization) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/vnd.docker.distribution.events.v2+json");
    if (authorization != null) {
      h.put("Authorization", authorization);
    }
    return h;
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
        return HTTP.send(HttpRequest.newBuilder(URI.create(TestBed.env("REGISTRY_URL") + "/v2/" + REPOSITORY + "/manifests/" + digest))
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

  // ---------------------------------------------------------------------------------------------- MQTT

  /** One message a subscriber printed. */
  record Message(boolean retained, String topic, String payload) {
    JsonObject json() {
      return new JsonObject(payload);
    }
  }

  /**
   * The real {@code mosquitto_pub} / {@code mosquitto_sub} as the test bed's operator. The host, port, user and password
   * are in per-client option files under a private {@code XDG_CONFIG_HOME}, so the password never shows in argv.
   */
  static final class Mqtt implements AutoCloseable {
    final Path xdg;
    private final List<Sub> subs = new ArrayList<>();

    Mqtt() throws IOException {
      xdg = Files.createTempDirectory("it-ev-mqtt", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      URI url = URI.create(TestBed.env("MQTT_URL"));
      String options = "-h " + url.getHost() + "\n-p " + url.getPort() + "\n-u " + TestBed.env("MQTT_OPERATOR_USER") + "\n-P "
          + TestBed.secret("MQTT_OPERATOR_PASSWORD_FILE") + "\n";
      for (String client : List.of("mosquitto_pub", "mosquitto_sub")) {
        Path f = xdg.resolve(client);
        Files.writeString(f, options);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
      }
    }

    private Map<String, String> env() {
      return Map.of("XDG_CONFIG_HOME", xdg.toString());
    }

    /** Publishes at QoS 1 (mosquitto_pub returns after the broker's PUBACK). */
    void publish(String topic, byte[] payload, boolean retain, String... extra) throws IOException {
      Path f = Files.createTempFile(xdg, "msg", ".bin");
      Files.write(f, payload);
      List<String> cmd = new ArrayList<>(List.of("mosquitto_pub", "-q", "1", "-t", topic, "-f", f.toString()));
      if (retain) {
        cmd.add("-r");
      }
      cmd.addAll(List.of(extra));
      run(cmd);
      Files.deleteIfExists(f);
    }

    void publish(String topic, String payload) throws IOException {
      publish(topic, payload.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Clears a retained message (an empty retained publish). */
    void clearRetained(String topic) {
      run(List.of("mosquitto_pub", "-q", "1", "-r", "-n", "-t", topic));
    }

    /** Connects once with {@code clientId} and a clean session, which discards that client's persistent session. */
    void dropSession(String clientId, String topic) {
      run(List.of("mosquitto_pub", "-q", "1", "-i", clientId, "-n", "-t", topic));
    }

    private void run(List<String> cmd) {
      TestBed.Result r = TestBed.exec(cmd, env(), Duration.ofSeconds(30));
      if (r.code() != 0) {
        fail(String.join(" ", cmd) + " exited " + r.code() + ": " + r.err() + r.out());
      }
    }

    /** The message retained on {@code topic} now, as a new subscriber gets it, or null when there is none. */
    Message retained(String topic) {
      TestBed.Result r = TestBed.exec(List.of("mosquitto_sub", "-q", "1", "-t", topic, "--retained-only", "-C", "1", "-W", "3",
          "-F", "MSG %r %t %p"), env(), Duration.ofSeconds(30));
      for (String line : r.out().split("\n")) {
        if (line.startsWith("MSG ")) {
          String[] p = line.split(" ", 4);
          return new Message(p[1].equals("1"), p[2], p.length > 3 ? p[3] : "");
        }
      }
      return null;
    }

    /** Waits until the message retained on {@code topic} matches {@code p}, and returns it. */
    Message awaitRetained(String what, Duration timeout, String topic, Predicate<Message> p) {
      Message[] found = new Message[1];
      TestBed.await(what, timeout, () -> {
        found[0] = retained(topic);
        return found[0] != null && found[0].retained() && p.test(found[0]);
      });
      return found[0];
    }

    /** Subscribes (QoS 1) and returns once the broker acknowledged the subscription. */
    Sub subscribe(String... topics) throws IOException {
      Sub s = new Sub(this, topics);
      subs.add(s);
      return s;
    }

    @Override
    public void close() {
      subs.forEach(Sub::close);
      TestBed.exec(List.of("rm", "-rf", xdg.toString()), Map.of(), Duration.ofSeconds(30));
    }
  }

  /** A running {@code mosquitto_sub}; its printed messages are read back from a file. */
  static final class Sub implements AutoCloseable {
    private final Process process;
    private final Path out;

    Sub(Mqtt mqtt, String... topics) throws IOException {
      out = Files.createTempFile(mqtt.xdg, "sub", ".log");
      // stdbuf: mosquitto_sub block-buffers stdout into a file, which would hide the SUBACK and messages
      List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "mosquitto_sub", "-d", "-q", "1", "-F", "MSG %r %t %p"));
      for (String t : topics) {
        cmd.addAll(List.of("-t", t));
      }
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("XDG_CONFIG_HOME", mqtt.xdg.toString());
      process = pb.start();
      try {
        TestBed.await("mosquitto_sub SUBACK for " + List.of(topics), Duration.ofSeconds(20), () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("mosquitto_sub exited: " + raw());
          }
          return raw().contains("received SUBACK");
        });
      } catch (AssertionError | RuntimeException e) {
        close();
        throw e;
      }
    }

    String raw() {
      try {
        return Files.readString(out);
      } catch (IOException e) {
        return "";
      }
    }

    List<Message> messages() {
      List<Message> m = new ArrayList<>();
      for (String line : raw().split("\n")) {
        if (line.startsWith("MSG ")) {
          String[] p = line.split(" ", 4);
          m.add(new Message(p[1].equals("1"), p[2], p.length > 3 ? p[3] : ""));
        }
      }
      return m;
    }

    List<Message> messages(Predicate<Message> p) {
      return messages().stream().filter(p).toList();
    }

    /** Waits for a message matching {@code p} and returns the first such. */
    Message await(String what, Duration timeout, Predicate<Message> p) {
      Message[] found = new Message[1];
      TestBed.await(what, timeout, () -> {
        found[0] = messages().stream().filter(p).findFirst().orElse(null);
        return found[0] != null;
      });
      return found[0];
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.destroyForcibly();
    }
  }

  /** A JSON message on {@code topic} whose field {@code field} equals {@code value}. */
  static Predicate<Message> jsonWith(String topic, String field, Object value) {
    return m -> {
      if (!m.topic().equals(topic)) {
        return false;
      }
      try {
        return value.equals(m.json().getValue(field));
      } catch (RuntimeException notJson) {
        return false;
      }
    };
  }

  /** Signs an MQTT command as an operator would: HMAC-SHA256 over {@code jq -cS 'del(.sig)'} of the payload. */
  static JsonObject sign(JsonObject command, byte[] secret) throws IOException {
    Path f = Files.createTempFile("cmd", ".json");
    Files.writeString(f, command.encode());
    TestBed.Result r = TestBed.exec(List.of("jq", "-cjS", "del(.sig)", f.toString()), Map.of(), Duration.ofSeconds(20));
    Files.deleteIfExists(f);
    if (r.code() != 0) {
      fail("jq failed: " + r.err());
    }
    return command.copy().put("sig", hmacHex(secret, r.out().getBytes(StandardCharsets.UTF_8)));
  }
}
