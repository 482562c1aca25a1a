package dev.odooagent.deploy;

import dev.odooagent.config.AgentConfig;
import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.ContainerSpec;
import dev.odooagent.docker.ContainerSpecs;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.OneShotResult;
import dev.odooagent.docker.Owned;
import dev.odooagent.docker.RegistryAuth;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.DbTool;
import dev.odooagent.odoo.UpgradePlanner;
import dev.odooagent.policy.TriggerPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one deploy as a script of named {@link Step}s: resolve, pull, gate hooks, plan, check database, coordinate
 * (when hosts share the database), then either recreate (stop old, snapshot, restore copy, upgrade, start new, await
 * healthy) or start-first (start beside, await healthy beside, swap), then commit; and roll back on any failure after
 * the host was changed. The plan picks start-first when no module is upgraded and the container can run twice (see
 * {@code deploy.strategy}). Every step is journaled before it runs and bounded by its deadline. Commit and rollback are
 * idempotent, so {@link #resume} can finish a deploy that an agent crash interrupted. Containers are stopped, renamed
 * and removed only through {@link Owned} handles: the agent's own, or the service container the deploy adopted.
 */
public final class Deployer {
  private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);
  private static final int TAIL_LINES = 40;
  private static final long MAX_RETRY_DELAY_MS = 15_000;

  private final Vertx vertx;
  private final AgentConfig cfg;
  private final DockerEngine docker;
  private final Resolver resolver;
  private final HealthGate gate;
  private final GateHooks hooks;
  private final Journal journal;
  private final StateStore store;
  private final Metrics metrics;
  private final Consumer<JsonObject> events;
  private final AgentState.Machine machine;
  private final TriggerPolicy policy;
  private final String repository;
  private final RegistryAuth auth;
  private volatile boolean stopping;
  private Coordination coordination;

  /** A deployer for the configured service. */
  public Deployer(Vertx vertx, AgentConfig cfg, DockerEngine docker, Resolver resolver, HealthGate gate, GateHooks hooks,
      Journal journal, StateStore store, Metrics metrics, Consumer<JsonObject> events, AgentState.Machine machine,
      TriggerPolicy policy, String repository, RegistryAuth auth) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.docker = docker;
    this.resolver = resolver;
    this.gate = gate;
    this.hooks = hooks;
    this.journal = journal;
    this.store = store;
    this.metrics = metrics;
    this.events = events;
    this.machine = machine;
    this.policy = policy;
    this.repository = repository;
    this.auth = auth;
  }

  /** One deploy in flight: its durable run, and what the steps learnt from the engine on the way. */
  private static final class Ctx {
    DeployRun run;
    ContainerInfo old;
    ImageInfo oldImage;
    ImageInfo newImage;

    Ctx(DeployRun run) {
      this.run = run;
    }

    String id() {
      return run.id();
    }
  }

  /** A rollback that must not be retried: acting would touch what the agent does not own. */
  private static final class Standstill extends RuntimeException {
    Standstill(String message) {
      super(message);
    }
  }

  /**
   * The agent is stopping: the deploy in flight stops at its next step boundary, neither rolled back nor given a
   * verdict, and its journal is left for the next start to converge (as after a crash, but at a clean point).
   */
  public void quiesce() {
    stopping = true;
  }

  /** Runs a deploy to its verdict; completes with the final run, never fails. */
  public Future<DeployRun> run(DeployRun start) {
    Ctx c = new Ctx(start);
    machine.transition(AgentState.DEPLOYING);
    return step(c, Step.RESOLVE, () -> resolve(c))
        .compose(skip -> skip != null ? verdict(c, "skipped", skip)
            : step(c, Step.PULL, () -> pull(c))
                .compose(x -> step(c, Step.GATE_HOOKS, () -> gateHooks(c)))
                .compose(x -> step(c, Step.PLAN, () -> plan(c)))
                .compose(x -> step(c, Step.CHECK_DATABASE, () -> checkDatabase(c)))
                .compose(x -> coordinated(c) ? step(c, Step.COORDINATE, () -> coordinate(c)) : Future.succeededFuture((String) null))
                .compose(refused -> refused != null ? verdict(c, "skipped", refused)
                    : c.run.startFirst() ? startFirst(c) : recreate(c)))
        .recover(e -> failed(c, e));
  }

  /** From stopping the old container to the commit. */
  private Future<DeployRun> recreate(Ctx c) {
    c.run = c.run.aside(asideName(c));
    return step(c, Step.STOP_OLD, () -> stopOld(c))
        .compose(x -> stepIf(c.run.copy() != null, c, Step.SNAPSHOT, () -> snapshot(c)))
        .compose(x -> stepIf(c.run.restoreFrom() != null, c, Step.RESTORE_COPY, () -> restoreCopy(c)))
        .compose(x -> stepIf(!c.run.modules().isEmpty(), c, Step.UPGRADE, () -> upgrade(c)))
        .compose(x -> step(c, Step.START_NEW, () -> startNew(c)))
        .compose(x -> step(c, Step.AWAIT_HEALTHY, () -> awaitHealthy(c)))
        .compose(x -> commit(c));
  }

  private Future<DeployRun> startFirst(Ctx c) {
    return step(c, Step.START_BESIDE, () -> startBeside(c)).compose(x -> afterBeside(c));
  }

  /** Gates the new container running beside the old one, swaps them, commits; also what a resume does from there. */
  private Future<DeployRun> afterBeside(Ctx c) {
    return step(c, Step.AWAIT_BESIDE, () -> awaitBeside(c))
        .compose(x -> {
          c.run = c.run.aside(asideName(c));
          return step(c, Step.SWAP, () -> swap(c));
        })
        .compose(x -> commit(c));
  }

  private String asideName(Ctx c) {
    return c.run.from().container() + "__prev_" + compact(c.id());
  }

  /** The temporary name of the new container while it runs beside the old one. */
  private String besideName(Ctx c) {
    return c.run.from().container() + "__next_" + compact(c.id());
  }

  /**
   * Coordinates hosts that share the database ({@code service.shared_database}); an operator's rollback stays local.
   * Set once, before the first deploy.
   */
  public Deployer sharing(Coordination coordination) {
    this.coordination = coordination;
    return this;
  }

  private boolean coordinated(Ctx c) {
    return coordination != null && !c.run.kind().rollback() && c.run.to().digest() != null;
  }

  /**
   * Leads the digest's upgrade, or waits for the host that leads it: after its success this host swaps code only (no
   * snapshot, upgrade or restore); after its rollback the digest is refused here too. Completes with a skip reason or null.
   */
  private Future<String> coordinate(Ctx c) {
    String digest = c.run.to().digest();
    Duration patience = Step.COORDINATE.deadline(cfg.deploy()).minusMinutes(1);
    return coordination.join(digest, c.id(), c.run.kind().operator(), c.run.started(), patience,
        why -> event(c, Step.COORDINATE.word(), "waiting", new JsonObject().put("detail", why))).compose(turn -> {
          SharedDatabase.Record leader = turn.leader();
          switch (turn.role()) {
            case LEAD:
              LOG.info("deploy {}: this host leads {} on the shared database {}", c.id(), digest, cfg.service().database());
              return Future.succeededFuture((String) null);
            case FOLLOW:
              LOG.info("deploy {}: host {} upgraded the shared database to {} in deploy {}; swapping code only", c.id(),
                  leader.host(), digest, leader.deployId());
              c.run = c.run.planned(List.of(), null, null);
              return Future.succeededFuture((String) null);
            default:
              String why = "host " + leader.host() + " rolled it back in deploy " + leader.deployId() + " on the shared database"
                  + (leader.reason() == null ? "" : ": " + leader.reason());
              LOG.info("deploy {} of {} not started: {}", c.id(), describe(c.run.to()), why);
              return store.rejected(digest, why).map("not started: " + why);
          }
        });
  }

  private Future<DeployRun> failed(Ctx c, Throwable e) {
    if (stopping) {
      return leftForRecovery(c, e);
    }
    if (e instanceof DeployException.Broke broke) {
      return rollBack(c, broke.reason(), broke.getMessage());
    }
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    LOG.error("deploy {} refused, nothing was changed: {}", c.id(), reason);
    return cleanupOneShots(c.id()).compose(x -> verdict(c, "failed", reason + " (nothing was changed)"));
  }

  /** Resolves the target, judges it once more, and adopts the service container; completes with a skip reason or null. */
  private Future<String> resolve(Ctx c) {
    DeployRun.Image to = c.run.to();
    Future<String> digest = to.digest() != null ? Future.succeededFuture(to.digest()) : resolver.digestOf(to.tag());
    return digest.compose(d -> {
      c.run = c.run.to(new DeployRun.Image(to.tag() != null ? to.tag() : store.tagOf(d), d));
      if (!c.run.kind().operator()) {
        // the same judgement as when the trigger was offered, now with the digest and the host as they are
        TriggerPolicy.Decision admitted = policy.admit(d, store);
        if (!admitted.accepted()) {
          LOG.info("deploy {} of {} not started: {}", c.id(), describe(c.run.to()), admitted.reason());
          return Future.succeededFuture("not started: " + admitted.reason());
        }
      }
      return adopt(c).map(x -> d.equals(c.run.from().digest()) && c.old.running()
          ? "already running " + describe(c.run.to()) : null);
    });
  }

  /** Finds the service container by name and records it, by id, as the one this deploy may stop and replace. */
  private Future<Void> adopt(Ctx c) {
    String name = cfg.service().container();
    return docker.inspectContainer(name).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(new DeployException.Refused(Step.RESOLVE, "container " + name
            + " does not exist; start it once (e.g. docker compose up -d) so the agent can copy its config (check service.container)"));
      }
      c.old = found.get();
      return docker.inspectImage(c.old.imageId());
    }).map(img -> {
      c.oldImage = img.orElse(null);
      String oldDigest = c.oldImage == null ? null : c.oldImage.digestIn(repository);
      JsonObject current = store.current();
      String oldTag = oldDigest != null && current != null && oldDigest.equals(current.getString("digest"))
          ? current.getString("tag") : store.tagOf(oldDigest);
      c.run = c.run.from(new DeployRun.Adopted(oldTag, oldDigest, c.old.id(), c.old.imageId(), c.old.name()));
      return null;
    });
  }

  private String newRef(Ctx c) {
    return repository + "@" + c.run.to().digest();
  }

  private Future<Void> pull(Ctx c) {
    String ref = newRef(c);
    return docker.inspectImage(ref).compose(local -> {
      if (local.isPresent()) {
        LOG.info("deploy {}: {} is already present, not pulling", c.id(), ref);
        return Future.succeededFuture(local);
      }
      LOG.info("deploy {}: pulling {}", c.id(), ref);
      return docker.pullImage(repository, c.run.to().digest(), auth, line -> progress(c, line), cfg.deploy().pullTimeout())
          .compose(x -> docker.inspectImage(ref));
    }).map(img -> {
      c.newImage = img.orElseThrow(() -> new DeployException.Refused(Step.PULL, "pulled " + ref + " but the engine does not list it"));
      return null;
    });
  }

  private Future<Void> gateHooks(Ctx c) {
    return hooks.run(newRef(c), c.run.to().tag(), c.run.to().digest());
  }

  private Future<Void> plan(Ctx c) {
    return modulesToUpgrade(c).map(list -> {
      boolean restore = c.run.kind() == DeployRun.Kind.ROLLBACK_RESTORE;
      boolean copy = (!list.isEmpty() || restore) && cfg.deploy().snapshot() == AgentConfig.SnapshotMode.TEMPLATE;
      c.run = c.run.planned(list, copy ? DbTool.copyName(cfg.service().database(), c.id()) : null, c.run.restoreFrom());
      LOG.info("deploy {}: modules to upgrade: {}{}", c.id(), list.isEmpty() ? "none" : String.join(",", list),
          restore ? "; the database goes back to " + c.run.restoreFrom() : "");
      c.run = c.run.strategy(strategy(c));
      return null;
    });
  }

  /**
   * Start-first unless deploy.strategy says recreate, modules are upgraded or the database is put back (two versions
   * must never serve one database across a schema change), or the container cannot run twice at once; an explicit
   * start-first that cannot run twice is refused rather than turned into a deploy with downtime.
   */
  private DeployRun.Strategy strategy(Ctx c) {
    AgentConfig.Strategy wanted = cfg.deploy().strategy();
    if (wanted == AgentConfig.Strategy.RECREATE) {
      LOG.info("deploy {}: recreate (deploy.strategy is recreate)", c.id());
      return DeployRun.Strategy.RECREATE;
    }
    String needsStop = !c.run.modules().isEmpty()
        ? "modules are upgraded (" + String.join(",", c.run.modules()) + "), and two versions must never serve one database across a schema change"
        : c.run.restoreFrom() != null ? "the database is put back from " + c.run.restoreFrom() + ", which needs the old container stopped"
        : null;
    if (needsStop != null) {
      LOG.info("deploy {}: recreate, not start-first: {}", c.id(), needsStop);
      return DeployRun.Strategy.RECREATE;
    }
    String obstacle = ContainerSpecs.besideObstacle(c.old);
    if (obstacle != null && wanted == AgentConfig.Strategy.START_FIRST) {
      throw new DeployException.Refused(Step.PLAN, "deploy.strategy is start-first, but " + c.old.name()
          + " cannot run beside its replacement: " + obstacle + ". Let Odoo be reached only through the proxy by its network"
          + " alias (no ports: mapping, no compose/odoo-port.yml, no --network host), or set deploy.strategy to auto or recreate");
    }
    if (obstacle != null) {
      LOG.info("deploy {}: recreate, not start-first: {} {}", c.id(), c.old.name(), obstacle);
      return DeployRun.Strategy.RECREATE;
    }
    LOG.info("deploy {}: start-first: no module is upgraded, so {} serves until its replacement passes the health gate",
        c.id(), c.old.name());
    return DeployRun.Strategy.START_FIRST;
  }

  private Future<List<String>> modulesToUpgrade(Ctx c) {
    if (c.run.kind().rollback()) {
      // Odoo cannot downgrade a module: an operator's rollback runs the older code, with or without the older database
      return Future.succeededFuture(List.of());
    }
    switch (cfg.deploy().upgrade()) {
      case NONE:
        return Future.succeededFuture(List.of());
      case ALL:
        return Future.succeededFuture(List.of("all"));
      case LIST:
        return Future.succeededFuture(cfg.deploy().upgradeModules());
      default:
        return moduleMap(c, c.oldImage, c.old.imageId())
            .compose(oldMods -> moduleMap(c, c.newImage, newRef(c)).map(newMods -> UpgradePlanner.changed(oldMods, newMods)));
    }
  }

  /** The module map of an image: its label, else the manifests read in a one-shot container of it. */
  private Future<JsonObject> moduleMap(Ctx c, ImageInfo image, String ref) {
    JsonObject fromLabel = image == null ? null : UpgradePlanner.modulesFromLabels(image.labels());
    if (fromLabel != null) {
      return Future.succeededFuture(fromLabel);
    }
    List<String> cmd = DbTool.manifests("/mnt/extra-addons");
    return oneShot(c, "inspect", ref, List.of(cmd.get(0)), cmd.subList(1, cmd.size()), Step.ONE_SHOT).map(r -> {
      JsonObject mods = UpgradePlanner.modulesFromOutput(r.outputTail());
      if (!r.succeeded() || mods == null) {
        throw new DeployException.Refused(Step.PLAN, "cannot read the module versions of " + ref
            + " (no odoo.modules label, and reading /mnt/extra-addons failed: " + lastLine(r.outputTail()) + ")");
      }
      return mods;
    });
  }

  /** Checks, before anything stops, that the database server answers and the database exists. */
  private Future<Void> checkDatabase(Ctx c) {
    String db = cfg.service().database();
    return oneShot(c, "check", c.old.imageId(), null, DbTool.exists(db), Step.ONE_SHOT).map(r -> {
      if (r.exitCode() != null && r.exitCode() == DbTool.MISSING) {
        throw new DeployException.Refused(Step.CHECK_DATABASE, "database " + db + " does not exist on the server that "
            + c.old.name() + " uses; refusing to deploy, because Odoo would silently create an empty one (check service.database)");
      }
      if (!r.succeeded()) {
        throw new DeployException.Refused(Step.CHECK_DATABASE, "cannot reach database " + db + ": " + lastLine(r.outputTail())
            + " (check that PostgreSQL runs and that " + c.old.name() + "'s db_host reaches it)");
      }
      return null;
    });
  }

  private Future<Void> stopOld(Ctx c) {
    Owned old = adopted(c);
    return docker.stopContainer(old, Step.STOP_TIMEOUT).compose(x -> docker.renameContainer(old, c.run.aside()));
  }

  private Future<Void> snapshot(Ctx c) {
    String db = cfg.service().database();
    return oneShot(c, "snapshot", c.old.imageId(), null, DbTool.snapshot(db, c.run.copy()), Step.ONE_SHOT).map(r -> {
      if (!r.succeeded()) {
        throw new DeployException.Broke(Step.SNAPSHOT, RollbackReason.SNAPSHOT_FAILED, "safety copy of " + db + " failed: "
            + lastLine(r.outputTail()));
      }
      return null;
    });
  }

  private Future<Void> restoreCopy(Ctx c) {
    String db = cfg.service().database();
    return oneShot(c, "restore", c.old.imageId(), null, DbTool.restore(db, c.run.restoreFrom()), Step.ONE_SHOT).map(r -> {
      if (!r.succeeded()) {
        throw new DeployException.Broke(Step.RESTORE_COPY, RollbackReason.UPGRADE_FAILED, "putting back " + db + " from "
            + c.run.restoreFrom() + " failed: " + lastLine(r.outputTail()));
      }
      return null;
    });
  }

  private Future<Void> upgrade(Ctx c) {
    List<String> cmd = new ArrayList<>(odooCommand(c));
    cmd.addAll(List.of("-d", cfg.service().database(), "-u", String.join(",", c.run.modules()), "--stop-after-init"));
    Duration timeout = cfg.deploy().upgradeTimeout();
    return oneShot(c, "upgrade", newRef(c), null, cmd, timeout).map(r -> {
      c.run = c.run.upgradeTail(r.outputTail());
      if (r.timedOut()) {
        throw new DeployException.Broke(Step.UPGRADE, RollbackReason.UPGRADE_FAILED, "module upgrade did not finish within "
            + "deploy.upgrade_timeout (" + timeout.toMinutes() + " min) and was killed");
      }
      if (!r.succeeded()) {
        throw new DeployException.Broke(Step.UPGRADE, RollbackReason.UPGRADE_FAILED, "module upgrade exited " + r.exitCode()
            + ": " + lastLine(r.outputTail()));
      }
      return null;
    });
  }

  /** The Odoo command the old container ran, when it set one itself; else plain {@code odoo}. */
  private List<String> odooCommand(Ctx c) {
    JsonArray cmd = c.old.raw().getJsonObject("Config", new JsonObject()).getJsonArray("Cmd");
    if (cmd != null && !cmd.isEmpty() && String.valueOf(cmd.getValue(0)).endsWith("odoo")) {
      List<String> out = new ArrayList<>();
      cmd.forEach(x -> out.add(String.valueOf(x)));
      return out;
    }
    return List.of("odoo");
  }

  private Future<Void> startNew(Ctx c) {
    JsonObject oldImageConfig = c.oldImage == null ? null : c.oldImage.config();
    return createAndStart(c, Step.START_NEW, ContainerSpecs.recreate(c.old, oldImageConfig, newRef(c), c.id()));
  }

  /** Creates the new container under a temporary name, with the old one's config but no alias yet, and starts it. */
  private Future<Void> startBeside(Ctx c) {
    JsonObject oldImageConfig = c.oldImage == null ? null : c.oldImage.config();
    return createAndStart(c, Step.START_BESIDE, ContainerSpecs.beside(c.old, oldImageConfig, newRef(c), c.id(), besideName(c)));
  }

  private Future<Void> createAndStart(Ctx c, Step s, ContainerSpec spec) {
    return docker.createContainer(spec).compose(created -> {
      c.run = c.run.created(created.id());
      // journaled before the start, so that a crash from here on finds the container by id
      return journal.append(s.word(), "created", c.run.json()).compose(x -> docker.startContainer(created.id()));
    });
  }

  private Future<Void> awaitBeside(Ctx c) {
    return passed(Step.AWAIT_BESIDE, gate.awaitAtOwnAddress(c.run.newContainerId(), cfg.deploy().healthTimeout()),
        " (the old container kept serving)");
  }

  /**
   * Gives the new container the old one's aliases (the proxy now dials both), stops the old one gracefully (it refuses
   * new connections and finishes those it accepted), renames it aside and gives the new one the service name.
   * Idempotent, so that a resume can run it again.
   */
  private Future<Void> swap(Ctx c) {
    Owned old = adopted(c);
    String service = c.run.from().container();
    return docker.inspectContainer(old.id()).compose(o -> docker.inspectContainer(c.run.newContainerId()).compose(n -> {
      ContainerInfo info = n.orElseThrow(() -> new IllegalStateException("the new container " + shortId(c.run.newContainerId()) + " is gone"));
      Owned fresh = Owned.labelled(info, c.id()).orElseThrow(() -> new IllegalStateException("container "
          + shortId(info.id()) + " does not carry this deploy's label"));
      Future<Void> joined = Future.succeededFuture();
      if (o.isPresent()) {
        for (Map.Entry<String, JsonObject> e : ContainerSpecs.aliasEndpoints(o.get()).entrySet()) {
          if (!ContainerSpecs.hasAliases(info, e.getKey(), e.getValue())) {
            joined = joined.compose(x -> docker.reconnect(fresh, e.getKey(), e.getValue()));
          }
        }
      }
      Future<Void> stopped = joined.compose(x -> o.isPresent() && o.get().running()
          ? docker.stopContainer(old, Step.STOP_TIMEOUT) : Future.succeededFuture());
      Future<Void> aside = stopped.compose(x -> o.isPresent() && !o.get().name().equals(c.run.aside())
          ? docker.renameContainer(old, c.run.aside()) : Future.succeededFuture());
      return aside.compose(x -> info.name().equals(service) ? Future.succeededFuture() : docker.renameContainer(fresh, service));
    }));
  }

  private Future<Void> awaitHealthy(Ctx c) {
    return passed(Step.AWAIT_HEALTHY, gate.await(c.run.newContainerId(), cfg.deploy().healthTimeout()), "");
  }

  /** Fails step {@code s} with health_failed unless the new container's verdict is healthy. */
  private static Future<Void> passed(Step s, Future<HealthGate.Verdict> verdict, String note) {
    return verdict.map(v -> {
      if (!v.healthy()) {
        throw new DeployException.Broke(s, RollbackReason.HEALTH_FAILED, "new container failed its health gate: " + v.reason() + note);
      }
      return null;
    });
  }

  /**
   * Keeps the new container: removes the old one, keeps this deploy's safety copy for {@code deploy.keep_copy} (and
   * drops any older one), prunes images, records the new current image. Idempotent.
   */
  Future<DeployRun> commit(Ctx c) {
    DeployRun.Adopted from = c.run.from();
    Future<List<String>> discarded = c.old != null && c.old.id().equals(from.containerId())
        ? Future.succeededFuture(ContainerSpecs.discardedVolumes(c.old))
        : docker.inspectContainer(from.containerId()).map(o -> o.map(ContainerSpecs::discardedVolumes).orElse(List.of()));
    JsonObject kept = store.keptCopy();
    boolean keep = c.run.copy() != null && c.run.kind() != DeployRun.Kind.ROLLBACK_RESTORE && !cfg.deploy().keepCopy().isZero();
    List<String> drops = new ArrayList<>();
    if (c.run.copy() != null && !keep) {
      drops.add(c.run.copy());
    }
    if (kept != null && !kept.getString("name").equals(c.run.copy()) && !kept.getString("name").equals(c.run.restoreFrom())) {
      drops.add(kept.getString("name"));
    }
    return journal.append(Step.COMMIT.word(), "started", c.run.json())
        .compose(x -> discarded)
        .compose(volumes -> docker.removeContainer(adopted(c))
            .compose(y -> Future.all(volumes.stream().map(docker::removeVolume).toList())).mapEmpty())
        .compose(x -> dropCopies(c, drops))
        .compose(x -> pruneImages(c).otherwise(e -> {
          LOG.warn("deploy {}: image pruning failed: {}", c.id(), e.getMessage());
          return null;
        }))
        .compose(x -> store.keptCopy(keep ? new JsonObject().put("name", c.run.copy()).put("deploy_id", c.id())
            .put("taken", c.run.started().toString()).put("modules", new JsonArray(c.run.modules()))
            .put("to", new JsonObject().put("tag", c.run.to().tag()).put("digest", c.run.to().digest())) : null))
        .compose(x -> {
          String now = Instant.now().toString();
          Future<Void> recorded = store.committed(new JsonObject().put("tag", c.run.to().tag()).put("digest", c.run.to().digest())
              .put("upgraded", new JsonArray(c.run.modules() == null ? List.of() : c.run.modules())),
              new JsonObject().put("tag", from.tag()).put("digest", from.digest()), now);
          if (c.run.kind().rollback() && from.digest() != null) {
            metrics.rollback(RollbackReason.MANUAL.word());
            // the version an operator rolled back from stays refused to automatic triggers
            recorded = recorded.compose(y -> store.rejected(from.digest(), "rolled back by an operator in deploy " + c.id()));
          }
          return recorded.compose(y -> store.failed(null));
        })
        .compose(x -> verdict(c, "success", c.run.kind().rollback() ? "manual rollback" : ""));
  }

  private Future<Void> dropCopies(Ctx c, List<String> copies) {
    Future<Void> chain = Future.succeededFuture();
    for (String copy : copies) {
      chain = chain.compose(x -> oneShotFor(c, "drop", newRef(c), DbTool.drop(copy)).map(r -> {
        if (!r.succeeded()) {
          LOG.warn("deploy {}: could not drop the safety copy {}: {} (drop it by hand)", c.id(), copy, lastLine(r.outputTail()));
        }
        return (Void) null;
      }).otherwise(e -> {
        LOG.warn("deploy {}: could not drop the safety copy {}: {} (drop it by hand)", c.id(), copy, e.getMessage());
        return null;
      }));
    }
    return chain;
  }

  /** Drops the kept safety copy once {@code deploy.keep_copy} has passed; run by the engine while no deploy runs. */
  Future<Void> expireKeptCopy(Instant now) {
    JsonObject kept = store.keptCopy();
    if (kept == null || Instant.parse(kept.getString("taken")).plus(cfg.deploy().keepCopy()).isAfter(now)) {
      return Future.succeededFuture();
    }
    String name = kept.getString("name");
    LOG.info("dropping the safety copy {} of deploy {}: deploy.keep_copy ({}) has passed", name, kept.getString("deploy_id"),
        cfg.deploy().keepCopy());
    return docker.inspectContainer(cfg.service().container()).compose(svc -> {
      if (svc.isEmpty()) {
        return Future.succeededFuture();
      }
      Ctx c = new Ctx(DeployRun.start("expire-" + compact(kept.getString("deploy_id")), "agent", DeployRun.Kind.OPERATOR,
          Instant.now(), new DeployRun.Image(null, null)));
      c.old = svc.get();
      return oneShot(c, "drop", c.old.imageId(), null, DbTool.drop(name), Step.ONE_SHOT).compose(r -> {
        if (!r.succeeded()) {
          LOG.warn("could not drop the expired safety copy {}: {}", name, lastLine(r.outputTail()));
          return Future.succeededFuture();
        }
        return store.keptCopy(null);
      });
    });
  }

  /**
   * Puts the old container back: removes the new one and any one-shot, restores database and filestore from the
   * safety copy, renames and starts the old container and gates it. Transient failures (engine or database
   * unreachable) are retried with backoff for {@code deploy.rollback_timeout}; then, or when a container the agent
   * does not own is in the way, the agent enters FAILED and stands still.
   */
  Future<DeployRun> rollBack(Ctx c, RollbackReason reason, String detail) {
    if (stopping) {
      return leftForRecovery(c, new IllegalStateException(detail));
    }
    if (machine.state() != AgentState.ROLLING_BACK) {
      machine.transition(AgentState.ROLLING_BACK);
    }
    c.run = c.run.rollingBack(reason, detail);
    LOG.error("deploy {}: rolling back ({}): {}", c.id(), reason.word(), detail);
    event(c, Step.ROLLBACK.word(), "started", new JsonObject().put("detail", reason.word() + ": " + detail));
    Instant deadline = Instant.now().plus(cfg.deploy().rollbackTimeout());
    // the rollback goes on even when its records cannot be written (a full state_dir): putting the service back comes first
    return bestEffort(c, journal.append(Step.ROLLBACK.word(), "started", c.run.json()))
        .compose(x -> bestEffort(c, store.rejected(c.run.to().digest(), "deploy " + c.id() + " rolled back: " + reason.word())))
        .compose(x -> attempt(c, deadline, 1))
        .compose(x -> {
          metrics.rollback(reason.word());
          DeployRun.Adopted from = c.run.from();
          return bestEffort(c, store.running(new JsonObject().put("tag", from.tag()).put("digest", from.digest()), Instant.now().toString()))
              .compose(y -> verdict(c, "rolled_back", c.run.reason()));
        })
        .recover(e -> {
          if (stopping) {
            return leftForRecovery(c, e);
          }
          metrics.rollback(reason.word());
          metrics.set("odoo_agent_failed", true);
          String why = c.run.reason() + "; rollback failed: " + e.getMessage();
          LOG.error("deploy {}: ROLLBACK FAILED, operator action needed: {}", c.id(), e.getMessage());
          machine.transition(AgentState.FAILED);
          return store.failed(new JsonObject().put("deploy_id", c.id()).put("reason", why).put("at", Instant.now().toString()))
              .otherwise(x -> null)
              .compose(x -> verdict(c, "failed", why));
        });
  }

  private Future<Void> bestEffort(Ctx c, Future<Void> write) {
    return write.otherwise(e -> {
      LOG.error("deploy {}: could not record the rollback: {}", c.id(), e.getMessage());
      return null;
    });
  }

  private Future<Void> attempt(Ctx c, Instant deadline, int n) {
    return restoreService(c).recover(e -> {
      long delay = Math.min(MAX_RETRY_DELAY_MS, 1000L << Math.min(n - 1, 4));
      if (stopping || e instanceof Standstill || Instant.now().plusMillis(delay).isAfter(deadline)) {
        return Future.failedFuture(e);
      }
      LOG.warn("deploy {}: rollback attempt {} failed: {}; retrying in {} s (deploy.rollback_timeout ends at {})", c.id(), n,
          e.getMessage(), delay / 1000, deadline);
      return vertx.timer(delay).compose(x -> attempt(c, deadline, n + 1));
    });
  }

  private Future<Void> restoreService(Ctx c) {
    DeployRun.Adopted from = c.run.from();
    String name = from.container();
    return cleanupOneShots(c.id())
        .compose(x -> removeNew(c))
        .compose(x -> docker.inspectContainer(name))
        .compose(holder -> {
          if (holder.isPresent() && !holder.get().id().equals(from.containerId())) {
            return Future.failedFuture(new Standstill("container " + name + " (" + shortId(holder.get().id())
                + ") was not made by the agent, so it was left as it is; the old container stays stopped as "
                + (c.run.aside() == null ? shortId(from.containerId()) : c.run.aside())
                + ". Check which one should serve, then run `odoo-agent deploy TAG` or `odoo-agent pin TAG` to resume"));
          }
          return docker.inspectContainer(from.containerId());
        })
        .compose(old -> {
          if (old.isEmpty()) {
            return Future.failedFuture(new Standstill("the old container " + shortId(from.containerId())
                + " is gone; start " + name + " by hand (e.g. docker compose up -d), then `odoo-agent deploy TAG` to resume"));
          }
          c.old = old.get();
          return restoreDatabase(c);
        })
        .compose(x -> {
          if (c.run.startFirst() && c.old.running() && c.old.name().equals(name)) {
            LOG.info("deploy {}: {} never stopped and keeps serving", c.id(), name);
            return Future.succeededFuture();
          }
          return (c.old.name().equals(name) ? Future.<Void>succeededFuture() : docker.renameContainer(adopted(c), name))
              .compose(x2 -> docker.startContainer(from.containerId()))
              .compose(x2 -> c.run.startFirst() ? gate.awaitAtOwnAddress(from.containerId(), cfg.deploy().healthTimeout())
                  : gate.await(from.containerId(), cfg.deploy().healthTimeout()))
              .compose(v -> v.healthy() ? Future.succeededFuture()
                  : Future.failedFuture(new IllegalStateException("the old container also failed its health gate: " + v.reason())));
        });
  }

  /**
   * Removes the container this deploy created, found by the journal's id or, if it crashed before that, by its labels
   * under the service name or, in a start-first deploy, under its temporary name.
   */
  private Future<Void> removeNew(Ctx c) {
    String newId = c.run.newContainerId();
    Future<Void> byId = newId == null ? Future.succeededFuture()
        : docker.inspectContainer(newId).compose(n -> removeIfOurs(c, n));
    Future<Void> byName = byId.compose(x -> docker.inspectContainer(c.run.from().container()))
        .compose(holder -> removeIfOurs(c, holder));
    return !c.run.startFirst() ? byName
        : byName.compose(x -> docker.inspectContainer(besideName(c))).compose(beside -> removeIfOurs(c, beside));
  }

  private Future<Void> removeIfOurs(Ctx c, Optional<ContainerInfo> container) {
    return container.flatMap(info -> Owned.labelled(info, c.id())).map(docker::removeContainer).orElse(Future.succeededFuture());
  }

  private Future<Void> restoreDatabase(Ctx c) {
    String copy = c.run.copy();
    if (copy == null) {
      if (c.run.did(Step.STOP_OLD) && c.run.modules() != null && !c.run.modules().isEmpty()) {
        c.run = c.run.rollingBack(c.run.rollbackReason(), c.run.reason() + "; the database was NOT restored because deploy.snapshot is none");
      }
      return Future.succeededFuture();
    }
    if (!c.run.did(Step.STOP_OLD)) {
      // the snapshot comes right after the stop: before it, no copy was ever started
      return Future.succeededFuture();
    }
    String db = cfg.service().database();
    boolean complete = c.run.did(Step.SNAPSHOT);
    List<String> cmd = complete ? DbTool.restore(db, copy) : DbTool.drop(copy);
    return oneShotFor(c, complete ? "restore" : "drop", c.run.from().imageId(), cmd).compose(r -> {
      if (!r.succeeded()) {
        return Future.failedFuture(new IllegalStateException((complete ? "restoring " + db + " from " : "dropping the partial copy ")
            + copy + " failed: " + lastLine(r.outputTail()) + " (the copy is kept; restore it by hand)"));
      }
      LOG.info("deploy {}: {}", c.id(), complete ? "database and filestore restored from " + copy : "dropped the incomplete copy " + copy);
      return Future.succeededFuture();
    });
  }

  /**
   * Finishes a deploy the agent was running when it stopped, by the last step it completed: nothing changed before
   * stop old or start beside; rolled back from there; committed once the new container passed its gate (recreate) or
   * took the service name (start-first). A start-first deploy whose new container runs beside the old one is gated
   * again and, if it passes, swapped in.
   */
  public Future<DeployRun> resume(JsonObject record) {
    Ctx c = new Ctx(DeployRun.of(record));
    Step interrupted = Step.of(record.getString("interrupted_step"));
    String where = interrupted == null ? record.getString("interrupted_step") : interrupted.word();
    LOG.warn("deploy {} was interrupted in step '{}'; converging", c.id(), where);
    machine.transition(AgentState.DEPLOYING);
    if (interrupted == Step.ROLLBACK) {
      // a rollback that was already under way keeps its reason
      return rollBack(c, c.run.rollbackReason() == null ? RollbackReason.RECOVERY : c.run.rollbackReason(), c.run.reason());
    }
    if (interrupted == Step.COMMIT) {
      return commit(c);
    }
    String detail = "the agent stopped during '" + where + "'";
    if (c.run.done() == null) {
      return nothingChanged(c, detail);
    }
    switch (c.run.done()) {
      case RESOLVE:
      case PULL:
      case GATE_HOOKS:
      case PLAN:
      case CHECK_DATABASE:
      case COORDINATE:
        return interrupted == Step.STOP_OLD || interrupted == Step.START_BESIDE
            ? rollBack(c, RollbackReason.RECOVERY, detail) : nothingChanged(c, detail);
      case STOP_OLD:
      case SNAPSHOT:
      case RESTORE_COPY:
      case UPGRADE:
      case START_NEW:
        return rollBack(c, RollbackReason.RECOVERY, detail);
      case AWAIT_HEALTHY:
      case SWAP:
      case COMMIT:
        return commit(c);
      case START_BESIDE:
      case AWAIT_BESIDE:
        // the old container still serves: gate the new one again, and go on with the swap if it passes
        LOG.info("deploy {}: the new container runs beside the old one; gating it again before the swap", c.id());
        return afterBeside(c).recover(e -> failed(c, e));
      default:
        return rollBack(c, RollbackReason.RECOVERY, detail);
    }
  }

  private Future<DeployRun> leftForRecovery(Ctx c, Throwable e) {
    LOG.warn("deploy {}: the agent is stopping; left as journaled after '{}' for the next start to converge ({})", c.id(),
        c.run.done() == null ? "nothing" : c.run.done().word(), e.getMessage());
    return Future.succeededFuture(c.run);
  }

  private Future<DeployRun> nothingChanged(Ctx c, String detail) {
    return cleanupOneShots(c.id()).compose(x -> verdict(c, "failed", detail + " before anything was changed"));
  }

  private Future<Void> cleanupOneShots(String deployId) {
    return docker.listContainers(Map.of(ContainerSpecs.LABEL_DEPLOY, deployId, ContainerSpecs.LABEL_MANAGED, "true"))
        .compose(list -> Future.all(list.stream()
            .filter(x -> x.labels().containsKey(ContainerSpecs.LABEL_ROLE))
            .flatMap(x -> Owned.labelled(x, deployId).stream()).map(docker::removeContainer).toList()))
        .<Void>mapEmpty().otherwise(e -> {
          LOG.warn("deploy {}: could not clean up one-shot containers: {}", deployId, e.getMessage());
          return null;
        });
  }

  private Future<Void> pruneImages(Ctx c) {
    Future<String> keepNew = c.newImage != null ? Future.succeededFuture(c.newImage.id())
        : docker.inspectImage(newRef(c)).map(i -> i.map(ImageInfo::id).orElse(null));
    String keepOld = c.run.from().imageId();
    return keepNew.compose(newId -> docker.listImages(repository).compose(images -> {
      List<ImageInfo> sorted = new ArrayList<>(images);
      // newest first; Created is a top-level field of the image, not part of its Config
      sorted.sort(Comparator.comparing((ImageInfo i) -> createdAt(i)).reversed().thenComparing(ImageInfo::id));
      List<Future<Void>> removals = new ArrayList<>();
      // the running and the previous image always stay; the newest others fill up to keep_images in all
      long kept = sorted.stream().filter(i -> i.id().equals(newId) || i.id().equals(keepOld)).count();
      for (ImageInfo i : sorted) {
        if (i.id().equals(newId) || i.id().equals(keepOld)) {
          continue;
        }
        if (kept < cfg.deploy().keepImages()) {
          kept++;
          continue;
        }
        removals.add(docker.removeImage(i.id()).otherwise(e -> null));
      }
      return Future.all(removals).mapEmpty();
    }));
  }

  private static Instant createdAt(ImageInfo image) {
    try {
      return Instant.parse(image.created());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  /** The service container this deploy adopted, by the id its journal recorded. */
  private static Owned adopted(Ctx c) {
    return Owned.adopted(c.run.from().containerId(), c.id());
  }

  private Future<OneShotResult> oneShot(Ctx c, String role, String image, List<String> entrypoint, List<String> cmd, Duration timeout) {
    JsonObject oldImageConfig = c.oldImage == null ? null : c.oldImage.config();
    String name = cfg.service().container() + "__" + role + "_" + compact(c.id());
    ContainerSpec spec = ContainerSpecs.oneShot(c.old, oldImageConfig, image, name, c.id(), role, entrypoint, cmd);
    // a one-shot of the same name left by a crash is ours to clear; anything else of that name makes create fail, untouched
    return docker.inspectContainer(name).compose(left -> removeIfOurs(c, left))
        .compose(x -> docker.runOneShot(spec, timeout, TAIL_LINES));
  }

  /** A one-shot after a restart: borrows the config of the old container, or else of the service container. */
  private Future<OneShotResult> oneShotFor(Ctx c, String role, String image, List<String> cmd) {
    Future<Void> ready = c.old != null ? Future.succeededFuture()
        : docker.inspectContainer(c.run.from().containerId())
            .compose(o -> docker.inspectContainer(cfg.service().container()).map(svc -> {
              c.old = o.or(() -> svc).orElseThrow(() -> new IllegalStateException("no container left to borrow the config of"));
              return null;
            }));
    return ready.compose(x -> oneShot(c, role, image, null, cmd, Step.ONE_SHOT));
  }

  /** Journals the step as started, runs it within its deadline, then journals it done. */
  private <T> Future<T> step(Ctx c, Step s, Supplier<Future<T>> work) {
    if (stopping) {
      return Future.failedFuture(new IllegalStateException("the agent is stopping; '" + s.word() + "' was not started"));
    }
    event(c, s.word(), "started", null);
    return journal.append(s.word(), "started", c.run.json())
        // the step never ran: the host is as the previous step left it (nothing changed before the stop)
        .recover(e -> Future.failedFuture(c.run.did(Step.STOP_OLD) ? DeployException.in(s, e) : new DeployException.Refused(s, e.getMessage())))
        .compose(x -> bounded(s, work))
        .recover(e -> {
          DeployException failure = DeployException.in(s, e);
          event(c, s.word(), "failed", new JsonObject().put("detail", failure.getMessage()));
          return Future.failedFuture(failure);
        })
        .compose(v -> {
          c.run = c.run.after(s);
          event(c, s.word(), "done", null);
          return journal.append(s.word(), "done", c.run.json()).map(v);
        });
  }

  private Future<Void> stepIf(boolean needed, Ctx c, Step s, Supplier<Future<Void>> work) {
    return needed ? step(c, s, work) : Future.succeededFuture();
  }

  /** The step's work, failed once its deadline passes (the work itself may still end later; its result is ignored). */
  private <T> Future<T> bounded(Step s, Supplier<Future<T>> work) {
    Duration limit = s.deadline(cfg.deploy());
    Promise<T> p = Promise.promise();
    long timer = vertx.setTimer(limit.toMillis(), t -> p.tryFail(new java.util.concurrent.TimeoutException("step '"
        + s.word() + "' did not finish within " + s.limit() + " (" + limit.toSeconds() + " s)")));
    Future<T> f;
    try {
      f = work.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  private Future<DeployRun> verdict(Ctx c, String outcome, String reason) {
    Instant finished = Instant.now();
    c.run = c.run.verdict(outcome, reason == null || reason.isEmpty() ? c.run.reason() : reason, finished);
    Duration took = Duration.between(c.run.started(), finished);
    metrics.deployment(outcome, outcome.equals("skipped") ? null : took);
    if (machine.state() != AgentState.FAILED) {
      metrics.set("odoo_agent_failed", false);
    }
    JsonObject detail = new JsonObject().put("outcome", outcome).put("reason", c.run.reason())
        .put("from", c.run.from() == null ? null : new JsonObject().put("tag", c.run.from().tag()).put("digest", c.run.from().digest()))
        .put("rollback_reason", c.run.rollbackReason() == null ? null : c.run.rollbackReason().word())
        .put("source", c.run.source()).put("started", c.run.started().toString()).put("finished", finished.toString())
        .put("duration_seconds", took.toMillis() / 1000.0);
    LOG.info("deploy {}: {} {} -> {} in {} s{}", c.id(), outcome, c.run.from() == null ? "?" : describe(c.run.from().image()),
        describe(c.run.to()), took.toSeconds(), c.run.reason() == null ? "" : ": " + c.run.reason());
    Future<Void> shared = !coordinated(c) ? Future.succeededFuture() : coordination.finish(c.run.to().digest(), c.id(),
        outcome, c.run.did(Step.STOP_OLD), c.run.reason(), c.run.did(Step.COORDINATE), finished.plus(cfg.deploy().rollbackTimeout()));
    return shared.compose(s -> journal.append("verdict", outcome, c.run.json())).otherwise(e -> {
      LOG.error("deploy {}: the verdict {} could not be journaled: {}", c.id(), outcome, e.getMessage());
      return null;
    }).map(x -> {
      // after the journal line, so that whoever hears the verdict finds it in /history too
      event(c, "verdict", outcome, detail);
      if (machine.state() != AgentState.FAILED) {
        machine.transition(AgentState.IDLE);
      }
      return c.run;
    });
  }

  private void progress(Ctx c, String line) {
    LOG.info("deploy {}: pull {}", c.id(), line);
    event(c, Step.PULL.word(), "progress", new JsonObject().put("detail", line));
  }

  private void event(Ctx c, String step, String state, JsonObject extra) {
    JsonObject e = new JsonObject().put("deploy_id", c.id()).put("step", step).put("state", state)
        .put("at", Instant.now().toString()).put("to", new JsonObject().put("tag", c.run.to().tag()).put("digest", c.run.to().digest()));
    if (extra != null) {
      e.mergeIn(extra);
    }
    events.accept(e);
  }

  private static String compact(String id) {
    return id.replaceAll("[^A-Za-z0-9]", "");
  }

  private static String shortId(String id) {
    return id == null ? "?" : id.substring(0, Math.min(12, id.length()));
  }

  private static String describe(DeployRun.Image image) {
    if (image == null) {
      return "?";
    }
    String d = image.digest();
    return (image.tag() == null ? "" : image.tag()) + "@" + (d == null ? "?" : d.substring(0, Math.min(19, d.length())));
  }

  private static String lastLine(String text) {
    if (text == null || text.isBlank()) {
      return "(no output)";
    }
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
