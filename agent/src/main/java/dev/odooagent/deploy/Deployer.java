package dev.odooagent.deploy;

import dev.odooagent.config.AgentConfig;
import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.ContainerSpec;
import dev.odooagent.docker.ContainerSpecs;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.OneShotResult;
import dev.odooagent.docker.RegistryAuth;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.DbTool;
import dev.odooagent.odoo.UpgradePlanner;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one deploy as a script of named steps: resolve, pull, gate hooks, plan, stopOld, snapshot, upgrade, startNew,
 * awaitHealthy, commit; and rollBack on any failure after the old container was stopped. Every step is journaled
 * before it runs. {@link #commit} and {@link #rollBack} are idempotent, so {@link #resume} can finish a deploy that
 * an agent crash interrupted.
 */
public final class Deployer {
  private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ONE_SHOT_TIMEOUT = Duration.ofMinutes(10);
  private static final int TAIL_LINES = 40;

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
  private final String repository;
  private final RegistryAuth auth;

  /** A deployer for the configured service. */
  public Deployer(AgentConfig cfg, DockerEngine docker, Resolver resolver, HealthGate gate, GateHooks hooks,
      Journal journal, StateStore store, Metrics metrics, Consumer<JsonObject> events, AgentState.Machine machine,
      String repository, RegistryAuth auth) {
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
    this.repository = repository;
    this.auth = auth;
  }

  /** What to deploy: a tag (resolved) or a digest; {@code manual} marks an operator's rollback. */
  public record Request(String id, String source, String tag, String digest, boolean manual, Instant received) {}

  /** One deploy in flight: its journal record and what the steps learnt. */
  private static final class Run {
    final JsonObject record;
    ContainerInfo old;
    ImageInfo oldImage;
    ImageInfo newImage;
    String newRef;

    Run(JsonObject record) {
      this.record = record;
    }

    String id() {
      return record.getString("id");
    }
  }

  /** Runs a deploy to its verdict; completes with the final record, never fails. */
  public Future<JsonObject> run(Request req) {
    JsonObject record = new JsonObject().put("id", req.id()).put("source", req.source())
        .put("started", req.received().toString()).put("to", new JsonObject().put("tag", req.tag()).put("digest", req.digest()))
        .put("manual", req.manual());
    Run run = new Run(record);
    machine.transition(AgentState.DEPLOYING);
    return resolve(run)
        .compose(skip -> skip ? verdict(run, "skipped", "already running " + describe(record.getJsonObject("to")))
            : pull(run)
                .compose(x -> gateHooks(run))
                .compose(x -> plan(run))
                .compose(x -> checkDatabase(run))
                .compose(x -> stopOld(run))
                .compose(x -> snapshot(run))
                .compose(x -> upgrade(run))
                .compose(x -> startNew(run))
                .compose(x -> awaitHealthy(run))
                .compose(x -> commit(run)))
        .recover(e -> failed(run, e));
  }

  private Future<JsonObject> failed(Run run, Throwable e) {
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    if (run.record.getBoolean("stopped_old", false)) {
      String why = e instanceof DeployException d && d.rollbackReason() != null ? d.rollbackReason() : "health_failed";
      return rollBack(run, why, reason);
    }
    LOG.error("deploy {} refused, nothing was changed: {}", run.id(), reason);
    return cleanupOneShots(run.id()).compose(x -> verdict(run, "failed", reason + " (nothing was changed)"));
  }

  private Future<Boolean> resolve(Run run) {
    JsonObject to = run.record.getJsonObject("to");
    Future<String> digest = to.getString("digest") != null ? Future.succeededFuture(to.getString("digest"))
        : step(run, "resolve", () -> resolver.digestOf(to.getString("tag")));
    return digest.compose(d -> {
      to.put("digest", d);
      if (to.getString("tag") == null) {
        to.put("tag", store.tagOf(d));
      }
      return docker.inspectContainer(cfg.service().container());
    }).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(new DeployException("resolve", null, "container " + cfg.service().container()
            + " does not exist; start it once (e.g. docker compose up -d) so the agent can copy its config (check service.container)"));
      }
      run.old = found.get();
      return docker.inspectImage(run.old.imageId());
    }).map(img -> {
      run.oldImage = img.orElse(null);
      String oldDigest = run.oldImage == null ? null : run.oldImage.digestIn(repository);
      JsonObject current = store.current();
      String oldTag = oldDigest != null && current != null && oldDigest.equals(current.getString("digest"))
          ? current.getString("tag") : oldDigest == null ? null : store.tagOf(oldDigest);
      run.record.put("from", new JsonObject().put("tag", oldTag).put("digest", oldDigest)
          .put("container_id", run.old.id()).put("image_id", run.old.imageId()).put("container", run.old.name()));
      return to.getString("digest").equals(oldDigest) && run.old.running();
    });
  }

  private Future<Void> pull(Run run) {
    String digest = run.record.getJsonObject("to").getString("digest");
    run.newRef = repository + "@" + digest;
    run.record.put("image", run.newRef);
    return step(run, "pull", () -> docker.inspectImage(run.newRef).compose(local -> {
      if (local.isPresent()) {
        LOG.info("deploy {}: {} is already present, not pulling", run.id(), run.newRef);
        return Future.succeededFuture(local);
      }
      LOG.info("deploy {}: pulling {}", run.id(), run.newRef);
      return docker.pullImage(repository, digest, auth, line -> LOG.info("deploy {}: pull {}", run.id(), line))
          .compose(x -> docker.inspectImage(run.newRef));
    }).map(img -> {
      run.newImage = img.orElseThrow(() -> new DeployException("pull", null, "pulled " + run.newRef + " but the engine does not list it"));
      return null;
    }));
  }

  private Future<Void> gateHooks(Run run) {
    JsonObject to = run.record.getJsonObject("to");
    return step(run, "gate hooks", () -> hooks.run(run.newRef, to.getString("tag"), to.getString("digest")));
  }

  private Future<Void> plan(Run run) {
    return step(run, "plan", () -> modulesToUpgrade(run).map(list -> {
      run.record.put("modules", new JsonArray(list));
      LOG.info("deploy {}: modules to upgrade: {}", run.id(), list.isEmpty() ? "none" : String.join(",", list));
      return null;
    }));
  }

  private Future<List<String>> modulesToUpgrade(Run run) {
    switch (cfg.deploy().upgrade()) {
      case NONE:
        return Future.succeededFuture(List.of());
      case ALL:
        return Future.succeededFuture(List.of("all"));
      case LIST:
        return Future.succeededFuture(cfg.deploy().upgradeModules());
      default:
        if (run.record.getBoolean("manual")) {
          return Future.succeededFuture(List.of());
        }
        return moduleMap(run, run.oldImage, run.old.imageId())
            .compose(oldMods -> moduleMap(run, run.newImage, run.newRef).map(newMods -> UpgradePlanner.changed(oldMods, newMods)));
    }
  }

  /** The module map of an image: its label, else the manifests read in a one-shot container of it. */
  private Future<JsonObject> moduleMap(Run run, ImageInfo image, String ref) {
    JsonObject fromLabel = image == null ? null : UpgradePlanner.modulesFromLabels(image.labels());
    if (fromLabel != null) {
      return Future.succeededFuture(fromLabel);
    }
    List<String> cmd = DbTool.manifests("/mnt/extra-addons");
    return oneShot(run, "inspect", ref, List.of(cmd.get(0)), cmd.subList(1, cmd.size()), ONE_SHOT_TIMEOUT).map(r -> {
      JsonObject mods = UpgradePlanner.modulesFromOutput(r.outputTail());
      if (!r.succeeded() || mods == null) {
        throw new DeployException("plan", null, "cannot read the module versions of " + ref
            + " (no odoo.modules label, and reading /mnt/extra-addons failed: " + lastLine(r.outputTail()) + ")");
      }
      return mods;
    });
  }

  private Future<Void> checkDatabase(Run run) {
    if (run.record.getJsonArray("modules").isEmpty()) {
      return Future.succeededFuture();
    }
    String db = cfg.service().database();
    List<String> cmd = DbTool.exists(db);
    return step(run, "check database", () -> oneShot(run, "check", run.old.imageId(), null, cmd, ONE_SHOT_TIMEOUT).map(r -> {
      if (r.exitCode() != null && r.exitCode() == DbTool.MISSING) {
        throw new DeployException("check database", null, "database " + db + " does not exist on the server that "
            + run.old.name() + " uses; refusing to upgrade, because Odoo would silently create an empty one (check service.database)");
      }
      if (!r.succeeded()) {
        throw new DeployException("check database", null, "cannot check database " + db + ": " + lastLine(r.outputTail()));
      }
      return null;
    }));
  }

  private Future<Void> stopOld(Run run) {
    String aside = asideName(run);
    run.record.put("old_aside", aside).put("stopped_old", true);
    return step(run, "stop old", () -> docker.stopContainer(run.old.id(), STOP_TIMEOUT)
        .compose(x -> docker.renameContainer(run.old.id(), aside)));
  }

  private Future<Void> snapshot(Run run) {
    if (run.record.getJsonArray("modules").isEmpty() || cfg.deploy().snapshot() == AgentConfig.SnapshotMode.NONE) {
      return Future.succeededFuture();
    }
    String db = cfg.service().database();
    String copy = DbTool.copyName(db, run.id());
    run.record.put("copy", copy);
    return step(run, "snapshot", () -> oneShot(run, "snapshot", run.old.imageId(), null, DbTool.snapshot(db, copy), ONE_SHOT_TIMEOUT)
        .map(r -> {
          if (!r.succeeded()) {
            throw new DeployException("snapshot", "upgrade_failed", "safety copy of " + db + " failed: " + lastLine(r.outputTail()));
          }
          run.record.put("snapshot_done", true);
          return null;
        }));
  }

  private Future<Void> upgrade(Run run) {
    JsonArray modules = run.record.getJsonArray("modules");
    if (modules.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> cmd = new ArrayList<>(odooCommand(run));
    cmd.addAll(List.of("-d", cfg.service().database(), "-u", String.join(",", modules.getList()), "--stop-after-init"));
    run.record.put("upgrade_started", true);
    Duration timeout = cfg.deploy().upgradeTimeout();
    return step(run, "upgrade", () -> oneShot(run, "upgrade", run.newRef, null, cmd, timeout).map(r -> {
      run.record.put("upgrade_tail", r.outputTail());
      if (r.timedOut()) {
        throw new DeployException("upgrade", "upgrade_failed", "module upgrade did not finish within deploy.upgrade_timeout ("
            + timeout.toMinutes() + " min) and was killed");
      }
      if (!r.succeeded()) {
        throw new DeployException("upgrade", "upgrade_failed", "module upgrade exited " + r.exitCode() + ": " + lastLine(r.outputTail()));
      }
      return null;
    }));
  }

  /** The Odoo command the old container ran, when it set one itself; else plain {@code odoo}. */
  private List<String> odooCommand(Run run) {
    JsonArray cmd = run.old.raw().getJsonObject("Config", new JsonObject()).getJsonArray("Cmd");
    if (cmd != null && !cmd.isEmpty() && String.valueOf(cmd.getValue(0)).endsWith("odoo")) {
      List<String> out = new ArrayList<>();
      cmd.forEach(c -> out.add(String.valueOf(c)));
      return out;
    }
    return List.of("odoo");
  }

  private Future<Void> startNew(Run run) {
    JsonObject oldImageConfig = run.oldImage == null ? null : run.oldImage.config();
    ContainerSpec spec = ContainerSpecs.recreate(run.old, oldImageConfig, run.newRef);
    return step(run, "start new", () -> docker.createContainer(spec).compose(id -> {
      run.record.put("new_container_id", id);
      return journal.append("start new", "created", run.record).compose(x -> docker.startContainer(id));
    }));
  }

  private Future<Void> awaitHealthy(Run run) {
    return step(run, "await healthy", () -> gate.await(run.record.getString("new_container_id"), cfg.deploy().healthTimeout())
        .map(v -> {
          if (!v.healthy()) {
            throw new DeployException("await healthy", "health_failed", "new container failed its health gate: " + v.reason());
          }
          run.record.put("gate_passed", true);
          return null;
        }));
  }

  /** Keeps the new container: removes the old one and the safety copy, prunes images, records success. Idempotent. */
  Future<JsonObject> commit(Run run) {
    String oldId = run.record.getJsonObject("from").getString("container_id");
    Future<List<String>> discarded = run.old != null ? Future.succeededFuture(ContainerSpecs.discardedVolumes(run.old))
        : docker.inspectContainer(oldId).map(c -> c.map(ContainerSpecs::discardedVolumes).orElse(List.of()));
    return journal.append("commit", "started", run.record)
        .compose(x -> discarded)
        .compose(volumes -> docker.removeContainer(oldId)
            .compose(y -> Future.all(volumes.stream().map(docker::removeVolume).toList())).mapEmpty())
        .compose(x -> run.record.getString("copy") == null ? Future.succeededFuture()
            : oneShotFor(run, "drop", run.record.getString("image"), DbTool.drop(run.record.getString("copy"))).map(r -> {
              if (!r.succeeded()) {
                LOG.warn("deploy {}: could not drop the safety copy {}: {} (drop it by hand)", run.id(), run.record.getString("copy"), lastLine(r.outputTail()));
              }
              return null;
            }))
        .compose(x -> pruneImages(run).otherwise(e -> {
          LOG.warn("deploy {}: image pruning failed: {}", run.id(), e.getMessage());
          return null;
        }))
        .compose(x -> {
          JsonObject to = run.record.getJsonObject("to");
          store.committed(new JsonObject().put("tag", to.getString("tag")).put("digest", to.getString("digest")),
              run.record.getJsonObject("from"), Instant.now().toString());
          if (run.record.getBoolean("manual", false)) {
            metrics.rollback("manual");
          }
          return verdict(run, "success", run.record.getBoolean("manual", false) ? "manual rollback" : "");
        });
  }

  /**
   * Puts the old container back: removes the new one and any one-shot, restores database and filestore from the
   * safety copy, renames and starts the old container and gates it. Idempotent. If the old one fails its gate too,
   * the agent enters FAILED and stops there: no flapping.
   */
  Future<JsonObject> rollBack(Run run, String reason, String detail) {
    if (machine.state() != AgentState.ROLLING_BACK) {
      machine.transition(AgentState.ROLLING_BACK);
    }
    run.record.put("rollback_reason", reason).put("reason", detail);
    store.rejected(run.record.getJsonObject("to").getString("digest"), run.id());
    LOG.error("deploy {}: rolling back ({}): {}", run.id(), reason, detail);
    JsonObject from = run.record.getJsonObject("from");
    String oldId = from.getString("container_id");
    String name = from.getString("container");
    return journal.append("rollback", "started", run.record)
        .compose(x -> cleanupOneShots(run.id()))
        .compose(x -> removeNew(run, oldId, name))
        .compose(x -> docker.inspectContainer(oldId))
        .compose(old -> {
          if (old.isEmpty()) {
            return Future.failedFuture(new DeployException("rollback", reason, "the old container " + oldId + " is gone; cannot roll back"));
          }
          run.old = old.get();
          return restoreDatabase(run);
        })
        .compose(x -> run.old.name().equals(name) ? Future.succeededFuture() : docker.renameContainer(oldId, name))
        .compose(x -> docker.startContainer(oldId))
        .compose(x -> gate.await(oldId, cfg.deploy().healthTimeout()))
        .compose(v -> {
          if (!v.healthy()) {
            return Future.failedFuture(new DeployException("rollback", reason, "the old container also failed its health gate: " + v.reason()));
          }
          metrics.rollback(reason);
          JsonObject back = new JsonObject().put("tag", from.getString("tag")).put("digest", from.getString("digest"));
          store.running(back, Instant.now().toString());
          return verdict(run, "rolled_back", detail);
        })
        .recover(e -> {
          metrics.rollback(reason);
          metrics.set("odoo_agent_failed", true);
          LOG.error("deploy {}: ROLLBACK FAILED, operator action needed: {}", run.id(), e.getMessage());
          machine.transition(AgentState.FAILED);
          return verdict(run, "failed", detail + "; rollback failed: " + e.getMessage());
        });
  }

  private Future<Void> removeNew(Run run, String oldId, String name) {
    String newId = run.record.getString("new_container_id");
    Future<Void> byId = newId == null ? Future.succeededFuture() : docker.removeContainer(newId);
    return byId.compose(x -> docker.inspectContainer(name)).compose(c -> c.isPresent() && !c.get().id().equals(oldId)
        ? docker.removeContainer(c.get().id()) : Future.succeededFuture());
  }

  private Future<Void> restoreDatabase(Run run) {
    String copy = run.record.getString("copy");
    if (copy == null) {
      if (run.record.getBoolean("upgrade_started", false)) {
        run.record.put("reason", run.record.getString("reason") + "; the database was NOT restored because deploy.snapshot is none");
      }
      return Future.succeededFuture();
    }
    String db = cfg.service().database();
    boolean complete = run.record.getBoolean("snapshot_done", false);
    List<String> cmd = complete ? DbTool.restore(db, copy) : DbTool.drop(copy);
    return oneShotFor(run, complete ? "restore" : "drop", run.old.imageId(), cmd).compose(r -> {
      if (!r.succeeded()) {
        return Future.failedFuture(new DeployException("rollback", null, (complete ? "restoring " + db + " from " : "dropping the partial copy ")
            + copy + " failed: " + lastLine(r.outputTail()) + " (the copy is kept; restore it by hand)"));
      }
      LOG.info("deploy {}: {}", run.id(), complete ? "database and filestore restored from " + copy : "dropped the incomplete copy " + copy);
      return Future.succeededFuture();
    });
  }

  /** Finishes a deploy the agent was running when it stopped: commit if the new container passed its gate, else roll back. */
  public Future<JsonObject> resume(JsonObject record) {
    Run run = new Run(record);
    String step = record.getString("interrupted_step");
    LOG.warn("deploy {} was interrupted in step '{}'; converging", run.id(), step);
    machine.transition(AgentState.DEPLOYING);
    if (record.getBoolean("gate_passed", false)) {
      return commit(run);
    }
    if (record.getBoolean("stopped_old", false)) {
      // a rollback that was already under way keeps its reason; otherwise the crash is the reason
      String reason = record.getString("rollback_reason", "recovery");
      String detail = record.getString("reason", "the agent stopped during '" + step + "'");
      return rollBack(run, reason, detail);
    }
    return cleanupOneShots(run.id()).compose(x -> verdict(run, "failed", "the agent stopped during '" + step + "' before anything was changed"));
  }

  private Future<Void> cleanupOneShots(String deployId) {
    return docker.listContainers(Map.of(ContainerSpecs.LABEL_DEPLOY, deployId))
        .compose(list -> Future.all(list.stream().map(c -> docker.removeContainer(c.id())).toList()))
        .<Void>mapEmpty().otherwise(e -> {
          LOG.warn("deploy {}: could not clean up one-shot containers: {}", deployId, e.getMessage());
          return null;
        });
  }

  private Future<Void> pruneImages(Run run) {
    JsonObject previous = run.record.getJsonObject("from");
    String keepNew = run.newImage == null ? null : run.newImage.id();
    String keepOld = previous.getString("image_id");
    return docker.listImages(repository).compose(images -> {
      List<ImageInfo> sorted = new ArrayList<>(images);
      // newest first; Created is a top-level field of the image, not part of its Config
      sorted.sort(Comparator.comparing((ImageInfo i) -> createdAt(i)).reversed().thenComparing(ImageInfo::id));
      List<Future<Void>> removals = new ArrayList<>();
      int kept = 0;
      for (ImageInfo i : sorted) {
        boolean protectedImage = i.id().equals(keepNew) || i.id().equals(keepOld);
        if (protectedImage || kept < cfg.deploy().keepImages()) {
          kept++;
          continue;
        }
        removals.add(docker.removeImage(i.id()).otherwise(e -> null));
      }
      return Future.all(removals).mapEmpty();
    });
  }

  private static Instant createdAt(ImageInfo image) {
    try {
      return Instant.parse(image.created());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  private Future<OneShotResult> oneShot(Run run, String role, String image, List<String> entrypoint, List<String> cmd, Duration timeout) {
    JsonObject oldImageConfig = run.oldImage == null ? null : run.oldImage.config();
    String name = cfg.service().container() + "__" + role + "_" + run.id().replaceAll("[^A-Za-z0-9]", "");
    ContainerSpec spec = ContainerSpecs.oneShot(run.old, oldImageConfig, image, name, run.id(), role, entrypoint, cmd);
    return docker.removeContainer(name).compose(x -> docker.runOneShot(spec, timeout, TAIL_LINES));
  }

  private Future<OneShotResult> oneShotFor(Run run, String role, String image, List<String> cmd) {
    Future<Void> ready = run.old != null ? Future.succeededFuture()
        : docker.inspectContainer(run.record.getJsonObject("from").getString("container_id"))
            .compose(c -> docker.inspectContainer(cfg.service().container()).map(svc -> {
              run.old = c.or(() -> svc).orElseThrow(() -> new DeployException(role, null, "no container left to borrow the config of"));
              return null;
            }));
    return ready.compose(x -> oneShot(run, role, image, null, cmd, ONE_SHOT_TIMEOUT));
  }

  /** Journals the step as started, runs it, then journals it done. */
  private <T> Future<T> step(Run run, String step, Supplier<Future<T>> work) {
    event(run, step, "started");
    return journal.append(step, "started", run.record).compose(x -> work.get()).compose(v -> done(run, step).map(v));
  }

  private Future<Void> done(Run run, String step) {
    event(run, step, "done");
    return journal.append(step, "done", run.record);
  }

  private Future<JsonObject> verdict(Run run, String outcome, String reason) {
    Instant finished = Instant.now();
    run.record.put("outcome", outcome).put("finished", finished.toString());
    if (reason != null && !reason.isEmpty()) {
      run.record.put("reason", reason);
    }
    Duration took = Duration.between(Instant.parse(run.record.getString("started")), finished);
    metrics.deployment(outcome, outcome.equals("skipped") ? null : took);
    if (!outcome.equals("failed") || !machine.state().equals(AgentState.FAILED)) {
      metrics.set("odoo_agent_failed", false);
    }
    event(run, "verdict", outcome);
    LOG.info("deploy {}: {} {} -> {} in {} s{}", run.id(), outcome, describe(run.record.getJsonObject("from")),
        describe(run.record.getJsonObject("to")), took.toSeconds(), reason == null || reason.isEmpty() ? "" : ": " + reason);
    return journal.append("verdict", outcome, run.record).map(x -> {
      if (machine.state() != AgentState.FAILED) {
        machine.transition(AgentState.IDLE);
      }
      return run.record;
    });
  }

  private void event(Run run, String step, String state) {
    events.accept(new JsonObject().put("deploy_id", run.id()).put("step", step).put("state", state)
        .put("at", Instant.now().toString()).put("to", run.record.getJsonObject("to")));
  }

  private String asideName(Run run) {
    return run.old.name() + "__prev_" + run.id().replaceAll("[^A-Za-z0-9]", "");
  }

  private static String describe(JsonObject image) {
    if (image == null) {
      return "?";
    }
    String d = image.getString("digest");
    return (image.getString("tag") == null ? "" : image.getString("tag")) + "@" + (d == null ? "?" : d.substring(0, Math.min(19, d.length())));
  }

  private static String lastLine(String text) {
    if (text == null || text.isBlank()) {
      return "(no output)";
    }
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

}
