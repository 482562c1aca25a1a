package dev.odooagent.sim;

import com.sun.management.OperatingSystemMXBean;
import dev.odooagent.Agent;
import dev.odooagent.Await;
import dev.odooagent.config.AgentConfig;
import dev.odooagent.config.ConfigLoader;
import dev.odooagent.deploy.SimBackends;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The fleet simulation (issue 12): N hosts in this JVM, each a real {@link Agent} (engine, deployer, MQTT bridge with
 * its own connection, fleet logic) over its own fake container engine and health gate, against one real Mosquitto.
 * For each fleet size: a good rollout (tag event to every wave healthy) and a rollout whose canary fails the gate.
 * Measures from the hosts' own status, the broker's $SYS counters and this process's CPU time; writes a JSON result.
 * Run by scripts/fleet-sim, which starts the broker; {@code --help} lists the options.
 */
public final class FleetSim {
  private static final String SENT = "$SYS/broker/publish/messages/sent";
  private static final String CLIENTS = "$SYS/broker/clients/connected";
  private static final String SUBSCRIPTIONS = "$SYS/broker/subscriptions/count";
  private static final Duration POLL = Duration.ofMillis(200);

  private final Settings s;
  private final Vertx vertx;
  private final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final Map<String, Long> sys = new ConcurrentHashMap<>();
  private volatile long sysReceived;
  private volatile long sysUpdates;
  private MqttClient probe;
  /** Messages the agents published, by kind (status, record, gate/k, rolled_back), as this probe received them. */
  private final Map<String, Long> published = new ConcurrentHashMap<>();
  /** Every host of the size running now, by id, for the health endpoint. */
  private final Map<String, Host> live = new ConcurrentHashMap<>();
  private int healthPort;

  /** The command line, parsed. */
  record Settings(List<Integer> sizes, int brokerPort, long brokerPid, Path work, Path out, int waves, Duration gate,
      Duration soak, Duration coalesce, boolean fleet, String command, String mosquitto) {
    static Settings parse(String[] args) {
      Map<String, String> a = new java.util.HashMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
        }
        a.put(args[i].substring(2), args[++i]);
      }
      List<Integer> sizes = Stream.of(a.getOrDefault("sizes", "10,100,1000").split(",")).map(Integer::parseInt).toList();
      return new Settings(sizes, Integer.parseInt(req(a, "broker-port")), Long.parseLong(a.getOrDefault("broker-pid", "0")),
          Path.of(req(a, "work")), Path.of(req(a, "out")), Integer.parseInt(a.getOrDefault("waves", "3")),
          Duration.ofMillis(Long.parseLong(a.getOrDefault("gate-ms", "1000"))),
          Duration.ofMillis(Long.parseLong(a.getOrDefault("soak-ms", "2000"))),
          Duration.ofMillis(Long.parseLong(a.getOrDefault("coalesce-ms", "0"))),
          Boolean.parseBoolean(a.getOrDefault("fleet", "true")), a.getOrDefault("command", "scripts/fleet-sim"),
          a.getOrDefault("mosquitto", "?"));
    }

    private static String req(Map<String, String> a, String k) {
      String v = a.get(k);
      if (v == null) {
        throw new IllegalArgumentException("--" + k + " is required");
      }
      return v;
    }

    /** The goal for one rollout: waves × (gate + soak) + 5 s. */
    Duration goal() {
      return gate.plus(soak).multipliedBy(waves).plusSeconds(5);
    }
  }

  /** One simulated host. */
  record Host(String id, int wave, Agent agent, SimBackends backends, String[] deployment) {}

  private FleetSim(Settings s) {
    this.s = s;
    this.vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS)
        .setMaxEventLoopExecuteTime(5).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
  }

  /** Runs every size and writes the result; exits 0 when it ran (goals met or not: the result says), 1 when it broke. */
  public static void main(String[] args) throws Exception {
    Settings s = Settings.parse(args);
    FleetSim sim = new FleetSim(s);
    JsonObject result = new JsonObject().put("gate_ms", s.gate.toMillis()).put("soak_ms", s.soak.toMillis())
        .put("waves", s.waves).put("coalesce_ms", s.coalesce.toMillis()).put("fleet", s.fleet)
        .put("goal_ms", s.goal().toMillis()).put("cores", Runtime.getRuntime().availableProcessors())
        .put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20).put("machine", Report.machine())
        .put("mosquitto", s.mosquitto);
    JsonArray runs = new JsonArray();
    result.put("runs", runs);
    int code = 0;
    try {
      sim.connectProbe();
      sim.serveHealth();
      for (int n : s.sizes) {
        JsonObject run = sim.size(n);
        runs.add(run);
        Files.writeString(s.out, result.encodePrettily(), StandardCharsets.UTF_8);
      }
    } catch (Exception e) {
      result.put("error", e.toString());
      e.printStackTrace();
      code = 1;
    } finally {
      result.put("missed", new JsonArray(Report.misses(result)));
      Files.writeString(s.out, result.encodePrettily(), StandardCharsets.UTF_8);
      Path md = Path.of(s.out.toString().replaceAll("\\.json$", "") + ".md");
      Files.writeString(md, Report.markdown(result, s.command, s.waves), StandardCharsets.UTF_8);
      System.out.println(Report.table(result));
      sim.vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.exit(code);
  }

  private void connectProbe() throws Exception {
    probe = MqttClient.create(vertx, new MqttClientOptions().setClientId("fleet-sim-probe").setCleanSession(true)
        .setMaxInflightQueue(1000));
    probe.publishHandler(m -> {
      sysReceived++;
      String kind = kind(m.topicName());
      if (kind != null) {
        published.merge(kind, 1L, Long::sum);
      }
      if (m.topicName().startsWith("$SYS/")) {
        sys.put(m.topicName(), Long.parseLong(m.payload().toString(StandardCharsets.UTF_8).trim()));
        if (m.topicName().equals(SENT)) {
          sysUpdates++;
        }
      }
    });
    probe.connect(s.brokerPort, "127.0.0.1").await(10, TimeUnit.SECONDS);
    // the agents' publications by kind (this probe's own deliveries are taken out of the broker's count)
    probe.subscribe(Map.of(SENT, 0, CLIENTS, 0, SUBSCRIPTIONS, 0, "+/fleet/#", 0, "+/+/status", 0)).await(10, TimeUnit.SECONDS);
    // the retained count may predate this probe's own connection: the baseline of each size must include it
    Await.until("the broker's $SYS counters", Duration.ofSeconds(10), Duration.ofMillis(50), () -> sys.containsKey(SENT) && sys.getOrDefault(CLIENTS, 0L) >= 1);
  }

  /** One HTTP endpoint for every host's health URL ({@code /<host>/web/health}), answered from that host's fake engine. */
  private void serveHealth() throws Exception {
    io.vertx.core.http.HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      String[] parts = req.path().split("/");
      Host host = parts.length > 1 ? live.get(parts[1]) : null;
      if (host == null) {
        req.response().setStatusCode(404).end();
        return;
      }
      host.backends().healthy().onComplete(ok -> {
        boolean pass = ok.succeeded() && ok.result();
        // Odoo's /web/health answer
        req.response().setStatusCode(pass ? 200 : 503).putHeader("content-type", "application/json")
            .end(new JsonObject().put("status", pass ? "pass" : "fail").encode());
      });
    });
    healthPort = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  private JsonObject size(int n) throws Exception {
    say("N=%d: starting %d hosts", n, n);
    String prefix = "sim" + n;
    Path dir = s.work.resolve(prefix);
    Set<String> bad = SimBackends.digestSet();
    int[] waveSizes = waveSizes(n);
    JsonObject run = new JsonObject().put("n", n).put("wave_sizes", new JsonArray(List.of(waveSizes[0], waveSizes[1], waveSizes[2])));
    long heap0 = usedHeap();
    long baseClients = sys.get(CLIENTS);
    long baseSubs = sys.getOrDefault(SUBSCRIPTIONS, 0L);
    long t0 = System.nanoTime();
    List<Host> hosts = new ArrayList<>();
    int h = 0;
    for (int w = 0; w < waveSizes.length; w++) {
      for (int i = 0; i < waveSizes[w]; i++, h++) {
        Host host = host(dir, prefix, String.format(Locale.ROOT, "h%04d", h), w, bad);
        hosts.add(host);
        live.put(host.id(), host);
      }
    }
    for (int i = 0; i < hosts.size(); i += 25) {
      List<Future<String>> batch = new ArrayList<>();
      for (Host host : hosts.subList(i, Math.min(hosts.size(), i + 25))) {
        batch.add(vertx.deployVerticle(host.agent()).onSuccess(id -> host.deployment()[0] = id));
      }
      Future.all(batch).await(120, TimeUnit.SECONDS);
    }
    // every agent holds its own broker connection and its subscriptions before anything is measured
    Await.until("all " + n + " MQTT connections", Duration.ofSeconds(120), Duration.ofMillis(50), () -> sys.getOrDefault(CLIENTS, 0L) >= baseClients + n);
    Await.until("the agents' subscriptions", Duration.ofSeconds(120), Duration.ofMillis(50), () -> sys.getOrDefault(SUBSCRIPTIONS, 0L) >= baseSubs + 3L * n);
    run.put("start_s", seconds(System.nanoTime() - t0));
    quiet();
    long heap1 = usedHeap();
    run.put("heap_per_host_kb", (heap1 - heap0) / 1024 / n).put("heap_used_mb", heap1 >> 20);
    // the agents' cost while nothing happens
    long idleCpu0 = os.getProcessCpuTime();
    long idleT0 = System.nanoTime();
    Thread.sleep(5000);
    run.put("idle_cpu_pct", 100.0 * (os.getProcessCpuTime() - idleCpu0) / (System.nanoTime() - idleT0));

    run.put("good", rollout(hosts, prefix, bad, false));
    run.put("bad_canary", rollout(hosts, prefix, bad, true));

    say("N=%d: stopping the hosts", n);
    for (int i = 0; i < hosts.size(); i += 50) {
      List<Future<Void>> batch = new ArrayList<>();
      for (Host host : hosts.subList(i, Math.min(hosts.size(), i + 50))) {
        if (host.deployment()[0] != null) {
          batch.add(vertx.undeploy(host.deployment()[0])
              .onFailure(e -> say("N=%d: %s did not stop cleanly: %s", n, host.id(), e)));
        }
      }
      Future.join(batch).otherwiseEmpty().await(120, TimeUnit.SECONDS);
    }
    say("N=%d: stopped; the broker counts %d connected clients", n, sys.getOrDefault(CLIENTS, 0L));
    try {
      Await.until("the hosts' disconnections", Duration.ofSeconds(30), Duration.ofMillis(50), () -> sys.getOrDefault(CLIENTS, 0L) <= baseClients);
    } catch (IllegalStateException e) {
      // not the measurement's business, but worth telling: an agent stopped without leaving the broker
      long lingering = sys.getOrDefault(CLIENTS, 0L) - baseClients;
      say("N=%d: %d clients still connected 30 s after every host stopped", n, lingering);
      run.put("clients_left_connected", lingering);
    }
    live.clear();
    deleteTree(dir);
    return run;
  }

  private JsonObject rollout(List<Host> hosts, String prefix, Set<String> bad, boolean failingCanary) throws Exception {
    String hex = randomHex(64);
    String digest = "sha256:" + hex;
    String tag = "sha-" + hex.substring(0, 12);
    if (failingCanary) {
      bad.add(digest);
    }
    say("N=%d: %s rollout of %s", hosts.size(), failingCanary ? "failing-canary" : "good", tag);
    List<Future<Void>> pushed = hosts.stream().map(x -> x.backends().publish(tag, digest)).toList();
    Future.all(pushed).await(60, TimeUnit.SECONDS);
    quiet();
    Map<String, Long> published0 = Map.copyOf(published);
    long sent0 = sys.get(SENT);
    long own0 = sysReceived;
    long cpu0 = os.getProcessCpuTime();
    long broker0 = brokerCpuNanos();
    long t0 = System.nanoTime();
    JsonObject event = new JsonObject().put("image", SimBackends.REPO).put("tag", tag).put("digest", digest);
    probe.publish(prefix + "/tags", Buffer.buffer(event.encode()), MqttQoS.AT_LEAST_ONCE, false, false).await(10, TimeUnit.SECONDS);
    JsonObject r = new JsonObject().put("tag", tag).put("digest", digest);
    long timeout = s.goal().multipliedBy(3).plusSeconds(60).toMillis();
    if (!failingCanary) {
      long[] done = new long[hosts.size()];
      awaitHosts(hosts, done, t0, timeout, st -> idle(st) && digest.equals(digestOf(st.getJsonObject("current"))));
      JsonArray waves = new JsonArray();
      for (int w = 0; w < s.waves; w++) {
        int wave = w;
        long last = 0;
        long first = Long.MAX_VALUE;
        int count = 0;
        for (int i = 0; i < hosts.size(); i++) {
          if (hosts.get(i).wave() == wave) {
            last = Math.max(last, done[i]);
            first = Math.min(first, done[i]);
            count++;
          }
        }
        waves.add(new JsonObject().put("wave", wave).put("hosts", count).put("first_s", seconds(first)).put("converged_s", seconds(last)));
      }
      r.put("waves", waves).put("converged_s", seconds(java.util.Arrays.stream(done).max().orElse(0)));
      r.put("converged_hosts", java.util.Arrays.stream(done).filter(d -> d > 0).count());
    } else {
      List<Host> canaries = hosts.stream().filter(x -> x.wave() == 0).toList();
      long[] done = new long[canaries.size()];
      awaitHosts(canaries, done, t0, timeout, st -> idle(st) && st.getJsonObject("last_deploy") != null
          && digest.equals(digestOf(st.getJsonObject("last_deploy").getJsonObject("to"))));
      r.put("canary_rolled_back_s", seconds(java.util.Arrays.stream(done).max().orElse(0)));
      // a bad digest must never start past the canary: watch as long as a good rollout of every wave would take
      Thread.sleep(s.goal().toMillis());
      int started = 0;
      int hostsStarted = 0;
      int canaryStarted = 0;
      for (Host x : hosts) {
        int c = x.backends().created(digest).await(10, TimeUnit.SECONDS);
        if (x.wave() == 0) {
          canaryStarted += c;
        } else {
          started += c;
          hostsStarted += c > 0 ? 1 : 0;
        }
      }
      r.put("non_canary_hosts_started_bad", hostsStarted).put("non_canary_creations_of_bad", started)
          .put("canary_creations_of_bad", canaryStarted).put("watched_s", seconds(System.nanoTime() - t0));
    }
    r.put("agents_cpu_s", (os.getProcessCpuTime() - cpu0) / 1e9);
    r.put("broker_cpu_s", (brokerCpuNanos() - broker0) / 1e9);
    quiet();
    r.put("deliveries", sys.get(SENT) - sent0 - (sysReceived - own0));
    JsonObject kinds = new JsonObject();
    new java.util.TreeMap<>(published).forEach((k, v) -> kinds.put(k, v - published0.getOrDefault(k, 0L)));
    r.put("published", kinds);
    say("N=%d: %s", hosts.size(), r.encode());
    for (Host x : hosts) {
      x.backends().forgetCalls();
    }
    return r;
  }

  /** The kind of an agent's publication, by topic: {@code P/H/status}, {@code P/fleet/G/<wave>/<host>}, gates, rollbacks. */
  private static String kind(String topic) {
    String[] t = topic.split("/");
    if (t.length == 3 && t[2].equals("status")) {
      return "status";
    }
    if (t.length == 5 && t[1].equals("fleet")) {
      return t[3].equals("gate") ? "gate/" + t[4] : t[3].equals("rolled_back") ? "rolled_back" : "record";
    }
    return null;
  }

  private static boolean idle(JsonObject st) {
    return !st.getBoolean("deploy_in_progress", false) && "idle".equals(st.getString("state"));
  }

  private static String digestOf(JsonObject image) {
    return image == null ? null : image.getString("digest");
  }

  /** Polls every host's own status on its context until {@code done} holds for each; records when (ns since t0). */
  private void awaitHosts(List<Host> hosts, long[] done, long t0, long timeoutMs, Predicate<JsonObject> converged)
      throws Exception {
    Duration left = Duration.ofNanos(t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs) - System.nanoTime());
    try {
      Await.until(hosts.size() + " hosts converged", left, POLL, () -> {
        List<Future<Void>> checks = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
          if (done[i] == 0) {
            int k = i;
            Host x = hosts.get(i);
            checks.add(x.backends().on(() -> {
              if (converged.test(x.agent().status())) {
                done[k] = System.nanoTime() - t0;
              }
              return Future.succeededFuture();
            }));
          }
        }
        Future.all(checks).toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
        return java.util.Arrays.stream(done).allMatch(d -> d > 0);
      });
    } catch (AssertionError e) {
      long missing = java.util.Arrays.stream(done).filter(d -> d == 0).count();
      int first = java.util.stream.IntStream.range(0, done.length).filter(i -> done[i] == 0).findFirst().orElse(0);
      Host stuck = hosts.get(first);
      JsonObject status = stuck.backends().on(() -> Future.succeededFuture(stuck.agent().status())).await(10, TimeUnit.SECONDS);
      throw new IllegalStateException(missing + " of " + hosts.size() + " hosts did not converge within " + timeoutMs
          + " ms; " + stuck.id() + " (wave " + stuck.wave() + ") says " + status.encode());
    }
  }

  /** Waits until the broker delivers nothing but this probe's own $SYS updates for two updates in a row. */
  private void quiet() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int calm = 0;
    long lastSent = sys.get(SENT);
    long lastOwn = sysReceived;
    long lastUpdate = sysUpdates;
    while (calm < 2) {
      if (System.nanoTime() > deadline) {
        say("the broker did not go quiet within 60 s; measuring anyway");
        return;
      }
      Thread.sleep(100);
      if (sysUpdates == lastUpdate) {
        continue;
      }
      long sent = sys.get(SENT);
      long own = sysReceived;
      calm = sent - lastSent <= (own - lastOwn) + 1 ? calm + 1 : 0;
      lastSent = sent;
      lastOwn = own;
      lastUpdate = sysUpdates;
    }
  }

  private Host host(Path dir, String prefix, String id, int wave, Set<String> bad) throws IOException {
    Path home = dir.resolve(id);
    Files.createDirectories(home.resolve("state"));
    StringBuilder yaml = new StringBuilder()
        .append("host_id: ").append(id).append('\n')
        .append("state_dir: ").append(home.resolve("state")).append('\n')
        .append("service:\n  container: ").append(SimBackends.CONTAINER).append("\n  image: ").append(SimBackends.REPO)
        .append("\n  track: latest\n  database: odoo\n")
        .append("registry:\n  url: http://127.0.0.1:9\n  password_file: ''\n  poll_interval: 0\n")
        // the gate is the simulated one; the observer probes the sim's health endpoint at the default interval
        .append("deploy:\n  health_url: http://127.0.0.1:").append(healthPort).append('/').append(id)
        .append("/web/health\n  health_interval: 2s\n  health_timeout: 60s\n")
        .append("  coalesce_window: ").append(s.coalesce.toMillis()).append("ms\n  keep_images: 3\n  rollback_timeout: 1s\n")
        .append("http:\n  listen: 127.0.0.1:0\n  admin_token_file: ''\n")
        .append("webhooks:\n  listen: 127.0.0.1:0\n  github_secret_file: ''\n  registry_token_file: ''\n")
        .append("mqtt:\n  url: mqtt://127.0.0.1:").append(s.brokerPort).append("\n  username: sim\n  password_file: ''\n")
        .append("  topic_prefix: ").append(prefix).append('\n');
    if (s.fleet) {
      yaml.append("fleet:\n  group: sim\n  wave: ").append(wave).append("\n  soak: ").append(s.soak.toMillis())
          .append("ms\n  wave_timeout: 10m\n");
    }
    Path f = home.resolve("agent.yaml");
    Files.writeString(f, yaml.toString(), StandardCharsets.UTF_8);
    AgentConfig cfg = new ConfigLoader(Map.of()).load(f).config();
    SimBackends backends = new SimBackends(s.gate, bad);
    return new Host(id, wave, new Agent(cfg, "sim", backends), backends, new String[1]);
  }

  /** 1 %, 9 % and the rest (each at least one host); with fewer waves, the rest goes to the last one. */
  private int[] waveSizes(int n) {
    int[] sizes = new int[3];
    if (s.waves == 1) {
      sizes[0] = n;
      return sizes;
    }
    sizes[0] = Math.max(1, Math.round(n * 0.01f));
    sizes[1] = s.waves == 2 ? n - sizes[0] : Math.max(1, Math.round(n * 0.09f));
    sizes[2] = n - sizes[0] - sizes[1];
    return sizes;
  }

  private long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** The broker process's user + system CPU time, from /proc (0 when its pid is unknown). */
  private long brokerCpuNanos() {
    if (s.brokerPid <= 0) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + s.brokerPid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10_000_000L;   // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }


  private static double seconds(long nanos) {
    return Math.round(nanos / 1e6) / 1000.0;
  }

  private static String randomHex(int len) {
    StringBuilder b = new StringBuilder();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    while (b.length() < len) {
      b.append(Character.forDigit(r.nextInt(16), 16));
    }
    return b.toString();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void say(String format, Object... args) {
    System.out.printf("fleet-sim: [%4.0fs] " + format + "%n", Stream.concat(
        Stream.of(ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0), Stream.of(args)).toArray());
    System.out.flush();
  }
}
