package dev.odooagent.deploy;

import dev.odooagent.config.AgentConfig;
import dev.odooagent.config.ConfigLoader;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.InspectFixtures;
import dev.odooagent.docker.RegistryAuth;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.Observation;
import dev.odooagent.policy.Hold;
import dev.odooagent.policy.TriggerPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The real deployer and engine over a fake container engine, health gate and resolver, with a real journal, state
 * store and metrics in a temp dir. The service container {@code ut-x} is the captured compose container running v1.
 */
final class DeployBed {
  static final String REPO = "127.0.0.1:5000/jgtolentino/odoo-ce";
  static final String HOST = "ut-host";

  final Vertx vertx;
  final Path dir;
  final AgentConfig cfg;
  final Context context;
  final FakeDockerEngine docker = new FakeDockerEngine();
  final FakeHealthGate gate = new FakeHealthGate(docker);
  /** Tag to digest, as the registry answers. */
  final Map<String, String> tags = new HashMap<>();
  final List<String> resolved = new CopyOnWriteArrayList<>();
  final String oldId;
  final ImageInfo v1;
  Journal journal;
  StateStore store;
  Metrics metrics;
  AgentState.Machine machine;
  List<String> transitions;
  List<JsonObject> events;
  Deployer deployer;

  /** A bed whose config has {@code deployLines} (indented by two spaces) in its deploy section. */
  DeployBed(Vertx vertx, Path dir, String... deployLines) {
    this.vertx = vertx;
    this.dir = dir;
    this.cfg = config(dir, deployLines);
    this.context = vertx.getOrCreateContext();
    JsonObject old = InspectFixtures.json(InspectFixtures.COMPOSE);
    JsonObject image = InspectFixtures.json(InspectFixtures.IMAGE_V1);
    v1 = InspectFixtures.image(image);
    oldId = old.getString("Id");
    docker.add(oldId, "old", "ut-x", v1.id(), true, old);
    docker.addImage("v1", v1, true);
    start();
    store.running(new JsonObject().put("tag", "v1").put("digest", digestOf(v1)), "2026-01-01T00:00:00Z");
  }

  static AgentConfig config(Path dir, String... deployLines) {
    StringBuilder yaml = new StringBuilder()
        .append("host_id: ").append(HOST).append('\n')
        .append("state_dir: ").append(dir.resolve("state")).append('\n')
        .append("service:\n  container: ut-x\n  image: ").append(REPO).append("\n  track: latest\n  database: odoo\n")
        .append("registry:\n  password_file: ''\n  poll_interval: 0\n")
        .append("deploy:\n  health_timeout: 5s\n  upgrade_timeout: 1m\n  coalesce_window: 0\n  keep_images: 3\n");
    for (String l : deployLines) {
      yaml.append("  ").append(l).append('\n');
    }
    if (java.util.Arrays.stream(deployLines).noneMatch(l -> l.startsWith("rollback_timeout:"))) {
      // one rollback attempt unless a test asks for retries
      yaml.append("  rollback_timeout: 1s\n");
    }
    yaml.append("http:\n  admin_token_file: ''\n")
        .append("webhooks:\n  github_secret_file: ''\n  registry_token_file: ''\n")
        .append("mqtt:\n  url: ''\n  password_file: ''\n");
    try {
      Path f = dir.resolve("agent.yaml");
      Files.writeString(f, yaml.toString(), StandardCharsets.UTF_8);
      return new ConfigLoader(Map.of()).load(f).config();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds what an agent process holds; called again by {@link #restart}. */
  private void start() {
    journal = new Journal(vertx, cfg.stateDir());
    store = new StateStore(vertx, cfg.stateDir());
    metrics = new Metrics(HOST, "test");
    transitions = new CopyOnWriteArrayList<>();
    events = new CopyOnWriteArrayList<>();
    machine = new AgentState.Machine(store.failed() != null ? AgentState.FAILED : AgentState.IDLE,
        (from, to) -> transitions.add(from.word() + "->" + to.word()));
    Journal j = journal;
    docker.journalProbe = () -> {
      JsonObject u = j.unfinished();
      return u == null ? "verdict" : u.getString("interrupted_step") + "/" + u.getString("interrupted_state");
    };
    deployer = new Deployer(vertx, cfg, docker, this::resolve, gate, new GateHooks(vertx, cfg.deploy().gateHooks(), cfg.deploy().gateTimeout()),
        journal, store, metrics, events::add, machine, policy(), REPO, RegistryAuth.anonymous());
  }

  /** As if the agent process were killed and started again: the engine and the state dir are what is left. */
  void restart() {
    docker.unhang();
    docker.mark();
    start();
  }

  /** The engine over this bed's deployer, as the agent wires it. */
  Engine engine(Duration settle) {
    return engine(settle, Clock.systemUTC());
  }

  /** The engine over this bed's deployer, with approval mode and the window from the config, telling time by {@code clock}. */
  Engine engine(Duration settle, Clock clock) {
    Engine engine = new Engine(vertx, HOST, cfg.service().track(), deployer, this::resolve, journal, store, metrics,
        policy(), machine, Observation::none, () -> null, settle, new Hold(cfg.deploy().auto(), cfg.deploy().window()), clock);
    if (journal.unfinished() == null) {
      // as the agent does at start; a test with an interrupted deploy calls recover() itself
      engine.recover();
    }
    return engine;
  }

  private TriggerPolicy policy() {
    return new TriggerPolicy(cfg.service().track(), cfg.service().tagPattern());
  }

  private Future<String> resolve(String tag) {
    resolved.add(tag);
    String d = tags.get(tag);
    return d == null ? Future.failedFuture(new IllegalStateException("tag " + tag + " not found in " + REPO))
        : Future.succeededFuture(d);
  }

  static String digest(char c) {
    return "sha256:" + String.valueOf(c).repeat(64);
  }

  static String digestOf(ImageInfo image) {
    return image.digestIn(REPO);
  }

  /**
   * Pushes an image to the fake registry under {@code tag}: v1's config with {@code modules} as its odoo.modules label
   * (null for no label), created {@code minutes} after v1.
   */
  ImageInfo publish(String tag, String digest, JsonObject modules, int minutes) {
    Map<String, String> labels = new HashMap<>(v1.labels());
    JsonObject config = v1.config().copy();
    if (modules == null) {
      labels.remove("odoo.modules");
      config.getJsonObject("Labels").remove("odoo.modules");
    } else {
      labels.put("odoo.modules", modules.encode());
      config.getJsonObject("Labels").put("odoo.modules", modules.encode());
    }
    String id = "sha256:" + String.format("%08x", tag.hashCode()).repeat(8);
    ImageInfo image = new ImageInfo(id, List.of(), List.of(REPO + "@" + digest), labels, config,
        Instant.parse(v1.created()).plus(Duration.ofMinutes(minutes)).toString());
    docker.addImage(tag, image, false);
    tags.put(tag, digest);
    return image;
  }

  /** v1's modules with {@code module} at {@code version}. */
  JsonObject modulesWith(String module, String version) {
    JsonObject m = new JsonObject(v1.labels().get("odoo.modules"));
    JsonObject entry = m.getJsonObject(module, new JsonObject().put("hash", "h-" + module)).copy().put("version", version);
    return m.put(module, entry);
  }

  JsonObject v1Modules() {
    return new JsonObject(v1.labels().get("odoo.modules"));
  }

  DeployRun request(String id, String tag, String digest) {
    return DeployRun.start(id, "admin", DeployRun.Kind.OPERATOR, Instant.now(), new DeployRun.Image(tag, digest));
  }

  /** Runs a deploy on the bed's event-loop context; completes with the final record. */
  Future<JsonObject> run(DeployRun r) {
    return on(() -> deployer.run(r).map(DeployRun::json));
  }

  /** Runs {@code work} on the bed's context. */
  <T> Future<T> on(Supplier<Future<T>> work) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> work.get().onComplete(p));
    return p.future();
  }

  /** Completes once {@code condition} holds, checking it on the bed's context; the test's timeout bounds the wait. */
  Future<Void> until(BooleanSupplier condition) {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> vertx.setPeriodic(5, t -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(t);
        p.tryComplete();
      }
    }));
    return p.future();
  }

  /** The journal entries, in order, as {@code step/state}. */
  List<String> journalEntries() {
    List<String> out = new ArrayList<>();
    for (JsonObject e : journalLines()) {
      out.add(e.getString("step") + "/" + e.getString("state"));
    }
    return out;
  }

  List<JsonObject> journalLines() {
    try {
      return Files.readAllLines(cfg.stateDir().resolve("journal.jsonl")).stream().map(JsonObject::new).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The value of one series in the Prometheus exposition, e.g. {@code odoo_agent_failed} or with labels. */
  double metric(String name, String... labels) {
    StringBuilder series = new StringBuilder(name).append("{host=\"").append(HOST).append('"');
    for (int i = 0; i < labels.length; i += 2) {
      series.append(',').append(labels[i]).append("=\"").append(labels[i + 1]).append('"');
    }
    series.append("} ");
    return metrics.scrape().lines().filter(l -> l.startsWith(series.toString())).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length()).trim()))
        .orElseThrow(() -> new AssertionError("no series " + series));
  }

  double deployments(String outcome) {
    return metric("odoo_agent_deployments_total", "outcome", outcome);
  }

  double rollbacks(String reason) {
    return metric("odoo_agent_rollbacks_total", "reason", reason);
  }
}
