package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.docker.ContainerSpec;
import dev.odooagent.docker.DockerException;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.InspectFixtures;
import dev.odooagent.docker.OneShotResult;
import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import dev.odooagent.event.Verdict;
import dev.odooagent.odoo.DbTool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The real deployer against a fake engine: the orderings that are hard to provoke on a real one. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DeployerTest {
  private static final String V2 = "sha-2222222";
  private static final String D2 = DeployBed.digest('2');
  private static final String COPY = "odoo__pre_d1";
  private static final String ASIDE = "ut-x__prev_d1";
  private static final List<String> STEPS = List.of("resolve", "pull", "gate hooks", "plan", "check database", "stop old",
      "snapshot", "upgrade", "start new", "await healthy");

  @TempDir
  Path dir;

  /** A bed with v2 in the registry: ipai_core bumped, so the deploy snapshots and upgrades. */
  private DeployBed bed(Vertx vertx, String... deployLines) {
    DeployBed bed = new DeployBed(vertx, dir, deployLines);
    bed.publish(V2, D2, bed.modulesWith("ipai_core", "18.0.1.1.0"), 10);
    return bed;
  }

  private static <T> void verify(VertxTestContext ctx, Future<T> f, Consumer<T> assertions) {
    f.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertions.accept(v);
      ctx.completeNow();
    })));
  }

  private static JsonArray json(List<String> l) {
    return new JsonArray(List.copyOf(l));
  }

  @Test
  void aSuccessfulDeployRunsItsStepsInOrderEachJournaledBeforeItRuns(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + ASIDE, "oneShot snapshot", "oneShot upgrade",
          "create ut-x", "start new", "gate new", "remove old", "remove volume " + InspectFixtures.addonsVolume()), bed.docker.mutations(),
          "the safety copy is kept for deploy.keep_copy, for rollback --restore-database");
      assertEquals(COPY, bed.store.keptCopy().getString("name"));
      assertEquals(List.of("inspect container old", "inspect image v1", "inspect image " + V2), bed.docker.all().subList(0, 3),
          "the service and its image are read before anything is pulled");

      // each step is on disk before the engine is asked to do it
      Map<String, String> journaledFirst = new java.util.LinkedHashMap<>();
      journaledFirst.put("pull " + V2, "pull/started");
      journaledFirst.put("oneShot check", "check database/started");
      journaledFirst.put("stop old", "stop old/started");
      journaledFirst.put("rename old " + ASIDE, "stop old/started");
      journaledFirst.put("oneShot snapshot", "snapshot/started");
      journaledFirst.put("oneShot upgrade", "upgrade/started");
      journaledFirst.put("create ut-x", "start new/started");
      journaledFirst.put("start new", "start new/created");
      journaledFirst.put("gate new", "await healthy/started");
      journaledFirst.put("remove old", "commit/started");
      journaledFirst.forEach((call, entry) -> assertEquals(entry, bed.docker.journalAt(call), call));

      List<String> j = bed.journalEntries();
      for (String step : STEPS) {
        assertEquals(1, Collections.frequency(j, step + "/started"), step + " in " + j);
        assertEquals(1, Collections.frequency(j, step + "/done"), step + " in " + j);
        assertTrue(j.indexOf(step + "/started") < j.indexOf(step + "/done"), step);
      }
      for (int i = 1; i < STEPS.size(); i++) {
        assertTrue(j.indexOf(STEPS.get(i - 1) + "/done") < j.indexOf(STEPS.get(i) + "/started"), STEPS.get(i));
      }
      assertTrue(j.indexOf("await healthy/done") < j.indexOf("commit/started"));
      assertEquals("verdict/success", j.get(j.size() - 1));

      assertEquals(json(List.of("ipai_core")), r.getJsonArray("modules"));
      assertEquals(COPY, r.getString("copy"));
      assertEquals("await healthy", r.getString("done"), "the last step done before the commit");
      assertEquals(new JsonObject().put("tag", "v1").put("digest", DeployBed.digestOf(bed.v1)).put("container_id", bed.oldId)
          .put("image_id", bed.v1.id()).put("container", "ut-x"), r.getJsonObject("from"));
      assertEquals(new JsonObject().put("tag", V2).put("digest", D2), r.getJsonObject("to"));

      ContainerSpec snapshot = bed.docker.oneShotSpecs.get("snapshot");
      assertEquals(bed.v1.id(), snapshot.body().getString("Image"), "the safety copy is taken by the old image");
      assertEquals(json(DbTool.snapshot("odoo", COPY)), snapshot.body().getJsonArray("Cmd"));
      ContainerSpec upgrade = bed.docker.oneShotSpecs.get("upgrade");
      assertEquals(DeployBed.REPO + "@" + D2, upgrade.body().getString("Image"));
      assertEquals(json(List.of("odoo", "-d", "odoo", "-u", "ipai_core", "--stop-after-init")), upgrade.body().getJsonArray("Cmd"));
      assertFalse(upgrade.body().containsKey("Entrypoint"), "the new image's entrypoint renders odoo.conf");
      ContainerSpec created = bed.docker.created.get(0);
      assertEquals("ut-x", created.name());
      assertEquals(DeployBed.REPO + "@" + D2, created.body().getString("Image"));
      assertEquals(List.of("ut-x-filestore:/var/lib/odoo", "/tmp/ut-x-conf/odoo.conf:/etc/odoo/odoo.conf:ro"),
          created.body().getJsonObject("HostConfig").getJsonArray("Binds").getList());
      assertEquals(java.util.Set.of("ut-extra"), created.extraNetworks().keySet());

      assertNull(bed.docker.byAlias("old"));
      assertTrue(bed.docker.byAlias("new").running);
      assertEquals("ut-x", bed.docker.byAlias("new").name);
      assertEquals(D2, bed.store.current().getString("digest"));
      assertEquals(V2, bed.store.current().getString("tag"));
      assertEquals(new JsonObject().put("tag", "v1").put("digest", DeployBed.digestOf(bed.v1)), bed.store.previous());
      assertEquals(List.of("idle->deploying", "deploying->idle"), bed.transitions);
      assertEquals(AgentState.IDLE, bed.machine.state());

      assertEquals(1, bed.deployments("success"));
      assertEquals(0, bed.deployments("failed") + bed.deployments("rolled_back") + bed.deployments("skipped"));
      assertEquals(1, bed.metric("odoo_agent_deploy_duration_seconds_count"));
      assertEquals(0, bed.metric("odoo_agent_failed"));

      List<String> ev = bed.events.stream().map(e -> e.getString("step") + "/" + e.getString("state")).toList();
      for (String step : STEPS) {
        assertTrue(ev.indexOf(step + "/started") < ev.indexOf(step + "/done"), step + " events " + ev);
      }
      assertEquals("verdict/success", ev.get(ev.size() - 1));
      assertTrue(bed.events.stream().allMatch(e -> "d1".equals(e.getString("deploy_id")) && e.getString("at") != null));
    });
  }

  @Test
  void whenTheOldContainerAlsoFailsItsGateTheAgentStopsInFailedUntilAnOperatorDeploys(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.gate.verdicts.put("new", new HealthGate.Verdict(false, "3 probes of /web/health answered 500"));
    bed.gate.verdicts.put("old", new HealthGate.Verdict(false, "connection refused"));
    Engine engine = bed.engine(Duration.ZERO);
    String[] id = new String[1];
    Future<Void> failed = bed.on(() -> engine.deploy(V2, null, false, "admin"))
        .compose(deployId -> {
          id[0] = deployId;
          return bed.until(() -> !engine.busy() && bed.journal.lastVerdict() != null);
        })
        .map(x -> {
          JsonObject v = bed.journal.lastVerdict();
          ctx.verify(() -> {
            assertEquals("failed", v.getString("outcome"));
            assertTrue(v.getString("reason").contains("new container failed its health gate: 3 probes of /web/health answered 500"), v.getString("reason"));
            assertTrue(v.getString("reason").contains("rollback failed: the old container also failed its health gate: connection refused"), v.getString("reason"));
            String aside = "ut-x__prev_" + id[0].replaceAll("[^A-Za-z0-9]", "");
            assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + aside, "oneShot snapshot", "oneShot upgrade",
                "create ut-x", "start new", "gate new", "remove new", "oneShot restore", "rename old ut-x", "start old", "gate old"),
                bed.docker.mutations(), "one rollback attempt, then nothing: no stop/start after the old container's gate");
            assertFalse(engine.busy(), "nothing is queued to try again");
            assertEquals(AgentState.FAILED, bed.machine.state());
            assertEquals(List.of("idle->deploying", "deploying->rolling_back", "rolling_back->failed"), bed.transitions);
            assertEquals(1, bed.metric("odoo_agent_failed"));
            assertEquals(1, bed.deployments("failed"));
            assertEquals(1, bed.rollbacks("health_failed"));
            assertEquals("failed", engine.status().getString("state"));
          });
          return null;
        });
    String d3 = DeployBed.digest('3');
    failed.compose(x -> {
      bed.docker.mark();
      bed.publish("sha-3333333", d3, bed.modulesWith("tbwa_brand", "18.0.1.0.1"), 20);
      // a webhook or the poll for the channel must not start the same loop again
      return bed.on(() -> Future.succeededFuture(engine.offer(new Trigger(Source.POLL, "latest", d3, null, Instant.now()))));
    }).compose(verdict -> {
      ctx.verify(() -> {
        assertEquals(Verdict.IGNORED, verdict);
        assertFalse(engine.busy());
        assertEquals(List.of(), bed.docker.all());
      });
      return bed.on(() -> engine.deploy("sha-3333333", null, false, "admin"));
    }).compose(x -> bed.until(() -> !engine.busy() && bed.journal.history(10).size() == 2)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals("success", bed.journal.lastVerdict().getString("outcome"), bed.journal.lastVerdict().encodePrettily());
      assertEquals(AgentState.IDLE, bed.machine.state());
      assertEquals(0, bed.metric("odoo_agent_failed"));
      assertEquals(d3, bed.store.current().getString("digest"));
      assertTrue(bed.docker.byAlias("new2").running);
      assertNull(bed.docker.byAlias("old"));
      ctx.completeNow();
    })));
  }

  @Test
  void aStopThatFailsAfterItWasJournaledRollsBackAndStartsTheOldContainer(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.docker.failures.put("stop old", new DockerException("stop container " + bed.oldId
        + " failed: engine answered 500: cannot stop container: permission denied", null));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertTrue(r.getString("reason").contains("permission denied"), r.getString("reason"));
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "start old", "gate old"), bed.docker.mutations());
      assertEquals("stop old/started", bed.docker.journalAt("stop old"));
      List<String> j = bed.journalEntries();
      assertFalse(j.contains("stop old/done"));
      assertTrue(j.indexOf("stop old/started") < j.indexOf("rollback/started"));
      JsonObject stopEntry = bed.journalLines().get(j.indexOf("stop old/started")).getJsonObject("record");
      assertEquals("check database", stopEntry.getString("done"), "a crash from here on must roll back: the step is journaled first");
      assertEquals(ASIDE, stopEntry.getString("old_aside"));

      assertTrue(bed.docker.byAlias("old").running);
      assertEquals("ut-x", bed.docker.byAlias("old").name);
      assertEquals(1, bed.docker.containers.size());
      assertEquals(1, bed.deployments("rolled_back"));
      assertEquals(DeployBed.digestOf(bed.v1), bed.store.current().getString("digest"));
      assertNull(bed.store.previous());
      assertEquals(List.of("idle->deploying", "deploying->rolling_back", "rolling_back->idle"), bed.transitions);
    });
  }

  @Test
  void aRenameThatFailsAfterTheStopStartsTheOldContainerUnderItsOwnName(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.docker.failures.put("rename old " + ASIDE, new DockerException("rename container failed: engine answered 500", null));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + ASIDE, "start old", "gate old"), bed.docker.mutations());
      assertTrue(bed.docker.byAlias("old").running);
    });
  }

  @Test
  void whenTheRestoreFailsTheDeployFailsSayingTheCopyIsKept(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.docker.oneShots.put("upgrade", s -> new OneShotResult(1, false,
        "INFO odoo: loading ipai_core\nERROR: column \"x_tbwa\" of relation \"res_partner\" does not exist"));
    bed.docker.oneShots.put("restore", s -> new OneShotResult(2, false, "psycopg2.OperationalError: could not connect to server"));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("failed", r.getString("outcome"));
      String reason = r.getString("reason");
      assertTrue(reason.contains("module upgrade exited 1: ERROR: column \"x_tbwa\" of relation \"res_partner\" does not exist"), reason);
      assertTrue(reason.contains("restoring odoo from " + COPY + " failed: psycopg2.OperationalError: could not connect to server"
          + " (the copy is kept; restore it by hand)"), reason);
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + ASIDE, "oneShot snapshot", "oneShot upgrade",
          "oneShot restore"), bed.docker.mutations(), "the old container is not started on a database in an unknown state");
      assertEquals(json(DbTool.restore("odoo", COPY)), bed.docker.oneShotSpecs.get("restore").body().getJsonArray("Cmd"));
      assertFalse(bed.docker.byAlias("old").running);
      assertEquals(ASIDE, bed.docker.byAlias("old").name);
      assertTrue(r.getString("upgrade_tail").contains("x_tbwa"));
      assertEquals(AgentState.FAILED, bed.machine.state());
      assertEquals(1, bed.metric("odoo_agent_failed"));
      assertEquals(1, bed.rollbacks("upgrade_failed"));
      assertEquals(1, bed.deployments("failed"));
    });
  }

  @Test
  void aCreateThatLeavesAContainerBehindIsRemovedByNameBeforeTheOldOneTakesItsNameBack(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.docker.createLeavesContainerAndFails = "create container ut-x failed: POST /networks/ut-extra/connect: engine answered 404: network ut-extra not found";
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertTrue(r.getString("reason").contains("network ut-extra not found"), r.getString("reason"));
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + ASIDE, "oneShot snapshot", "oneShot upgrade",
          "create ut-x", "remove new", "oneShot restore", "rename old ut-x", "start old", "gate old"), bed.docker.mutations());
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals("ut-x", bed.docker.byAlias("old").name);
    });
  }

  /** Runs d1 until the engine call {@code at}, where the agent is killed; then starts the agent again on what is left. */
  private Future<JsonObject> killAndResume(DeployBed bed, String at, Consumer<JsonObject> unfinished) {
    Future<Void> killed = bed.docker.hangAt(at);
    bed.run(bed.request("d1", V2, null));
    return killed.compose(x -> {
      bed.restart();
      JsonObject record = bed.journal.unfinished();
      unfinished.accept(record);
      return bed.on(() -> bed.deployer.resume(record).map(DeployRun::json));
    });
  }

  @Test
  void resumeCommitsADeployWhoseNewContainerPassedItsGate(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, killAndResume(bed, "remove old", u -> {
      assertEquals("commit", u.getString("interrupted_step"));
      assertEquals("await healthy", u.getString("done"));
    }), r -> {
      assertEquals("success", r.getString("outcome"));
      assertEquals(List.of("remove old", "remove volume " + InspectFixtures.addonsVolume()), bed.docker.mutations());
      assertEquals(COPY, bed.store.keptCopy().getString("name"), "the copy is kept, not dropped, when a resumed commit finishes");
      assertNull(bed.docker.byAlias("old"));
      assertTrue(bed.docker.byAlias("new").running);
      assertEquals(D2, bed.store.current().getString("digest"));
      assertEquals(DeployBed.digestOf(bed.v1), bed.store.previous().getString("digest"));
      assertEquals(List.of("idle->deploying", "deploying->idle"), bed.transitions);
      assertEquals(1, bed.deployments("success"));
      assertNull(bed.journal.unfinished());
    });
  }

  @Test
  void resumeDuringTheSnapshotDropsThePartialCopyInsteadOfRestoringIt(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, killAndResume(bed, "oneShot snapshot", u -> {
      assertEquals("snapshot", u.getString("interrupted_step"));
      assertEquals(COPY, u.getString("copy"));
      assertEquals("stop old", u.getString("done"));
    }), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertTrue(r.getString("reason").contains("the agent stopped during 'snapshot'"), r.getString("reason"));
      assertEquals(List.of("remove oneshot:snapshot", "oneShot drop", "rename old ut-x", "start old", "gate old"), bed.docker.mutations(),
          "restoring a half-made copy would replace the good database with it");
      assertEquals(json(DbTool.drop(COPY)), bed.docker.oneShotSpecs.get("drop").body().getJsonArray("Cmd"));
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals(1, bed.rollbacks("recovery"));
      assertEquals(1, bed.deployments("rolled_back"));
      assertEquals(List.of("idle->deploying", "deploying->rolling_back", "rolling_back->idle"), bed.transitions);
    });
  }

  @Test
  void resumeDuringTheUpgradeRestoresTheDatabaseFromTheCompleteCopy(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, killAndResume(bed, "oneShot upgrade", u -> {
      assertEquals("upgrade", u.getString("interrupted_step"));
      assertEquals("snapshot", u.getString("done"));
    }), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertEquals(List.of("remove oneshot:upgrade", "oneShot restore", "rename old ut-x", "start old", "gate old"), bed.docker.mutations());
      ContainerSpec restore = bed.docker.oneShotSpecs.get("restore");
      assertEquals(json(DbTool.restore("odoo", COPY)), restore.body().getJsonArray("Cmd"));
      assertEquals(bed.v1.id(), restore.body().getString("Image"));
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals(1, bed.rollbacks("recovery"));
    });
  }

  @Test
  void resumeAfterTheNewContainerWasCreatedRemovesItBeforeTheOldOneTakesItsNameBack(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, killAndResume(bed, "start new", u -> {
      assertEquals("start new", u.getString("interrupted_step"));
      assertEquals("created", u.getString("interrupted_state"));
      assertEquals(bed.docker.byAlias("new").id, u.getString("new_container_id"));
    }), r -> {
      assertEquals("rolled_back", r.getString("outcome"));
      assertEquals(List.of("remove new", "oneShot restore", "rename old ut-x", "start old", "gate old"), bed.docker.mutations());
      assertEquals(1, bed.docker.containers.size());
    });
  }

  @Test
  void resumeBeforeTheStopFailsTheDeployAndTouchesNothing(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    verify(ctx, killAndResume(bed, "oneShot check", u -> {
      assertEquals("check database", u.getString("interrupted_step"));
      assertEquals("plan", u.getString("done"));
    }), r -> {
      assertEquals("failed", r.getString("outcome"));
      assertEquals("the agent stopped during 'check database' before anything was changed", r.getString("reason"));
      assertEquals(List.of("remove oneshot:check"), bed.docker.mutations(), "only the one-shot left running is cleaned up");
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals("ut-x", bed.docker.byAlias("old").name);
      assertEquals(DeployBed.digestOf(bed.v1), bed.store.current().getString("digest"));
      assertEquals(List.of("idle->deploying", "deploying->idle"), bed.transitions);
      assertEquals(0, bed.metric("odoo_agent_failed"));
    });
  }

  @Test
  void aTargetThatIsAlreadyRunningIsSkippedWithoutStoppingAnything(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    String d1 = DeployBed.digestOf(bed.v1);
    bed.tags.put("latest", d1);
    Future<JsonObject> byDigest = bed.run(bed.request("d1", null, d1));
    Future<JsonObject> byTag = byDigest.compose(x -> bed.run(bed.request("d2", "latest", null)));
    verify(ctx, Future.all(byDigest, byTag), all -> {
      JsonObject r = byDigest.result();
      assertEquals("skipped", r.getString("outcome"));
      assertEquals("already running v1@" + d1.substring(0, 19), r.getString("reason"));
      assertEquals("v1", r.getJsonObject("to").getString("tag"), "a digest alone is named by the tag it was deployed as");
      assertEquals("skipped", byTag.result().getString("outcome"));
      assertEquals(List.of(), bed.docker.mutations());
      assertEquals(List.of("resolve/started", "resolve/done", "verdict/skipped", "resolve/started", "resolve/done", "verdict/skipped"), bed.journalEntries());
      assertEquals(2, bed.deployments("skipped"));
      assertEquals(0, bed.metric("odoo_agent_deploy_duration_seconds_count"), "a skip is not a deploy duration");
      assertTrue(bed.docker.byAlias("old").running);
    });
  }

  @Test
  void aGateHookThatExitsNonZeroRefusesTheDeployBeforeAnythingIsStopped(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path env = dir.resolve("hook.env");
    DeployBed bed = bed(vertx, "gate_hooks:",
        "  - 'echo \"$ODOO_AGENT_IMAGE $ODOO_AGENT_TAG $ODOO_AGENT_DIGEST\" > " + env + "'",
        "  - 'exit 3'");
    assertEquals(List.of("echo \"$ODOO_AGENT_IMAGE $ODOO_AGENT_TAG $ODOO_AGENT_DIGEST\" > " + env, "exit 3"), bed.cfg.deploy().gateHooks());
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("failed", r.getString("outcome"));
      assertTrue(r.getString("reason").startsWith("gate hook `exit 3` exited 3; deploy refused"), r.getString("reason"));
      assertTrue(r.getString("reason").endsWith("(nothing was changed)"), r.getString("reason"));
      assertEquals(List.of("pull " + V2), bed.docker.mutations());
      List<String> j = bed.journalEntries();
      assertTrue(j.contains("gate hooks/started"));
      assertFalse(j.contains("gate hooks/done"));
      assertFalse(j.contains("stop old/started"));
      try {
        assertEquals(DeployBed.REPO + "@" + D2 + " " + V2 + " " + D2, Files.readString(env).strip(), "hooks see the image in their env");
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals(AgentState.IDLE, bed.machine.state());
      assertEquals(1, bed.deployments("failed"));
      assertEquals(0, bed.metric("odoo_agent_failed"), "a refused deploy is not an operator emergency");
    });
  }

  private static ImageInfo withoutModuleLabel(ImageInfo i) {
    Map<String, String> labels = new HashMap<>(i.labels());
    labels.remove("odoo.modules");
    return new ImageInfo(i.id(), i.repoTags(), i.repoDigests(), labels, i.config(), i.created());
  }

  @Test
  void withoutAModuleLabelTheManifestsAreReadInOneShotsOfBothImages(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    bed.docker.local.put(bed.v1.id(), withoutModuleLabel(bed.v1));
    bed.publish(V2, D2, null, 10);
    JsonObject v2Modules = bed.modulesWith("tbwa_brand", "18.0.1.0.1");
    bed.docker.oneShots.put("inspect", s -> new OneShotResult(0, false, "ODOO_AGENT_MANIFESTS "
        + (s.body().getString("Image").equals(bed.v1.id()) ? bed.v1Modules() : v2Modules).encode()));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals(json(List.of("tbwa_brand")), r.getJsonArray("modules"));
      assertEquals(List.of("pull " + V2, "oneShot inspect", "oneShot inspect", "oneShot check", "stop old"), bed.docker.mutations().subList(0, 5));
      ContainerSpec inspect = bed.docker.oneShotSpecs.get("inspect");
      List<String> manifests = DbTool.manifests("/mnt/extra-addons");
      assertEquals(json(manifests.subList(0, 1)), inspect.body().getJsonArray("Entrypoint"));
      assertEquals(json(manifests.subList(1, manifests.size())), inspect.body().getJsonArray("Cmd"));
    });
  }

  @Test
  void unreadableManifestsRefuseTheDeployBeforeAnythingIsStopped(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    bed.docker.local.put(bed.v1.id(), withoutModuleLabel(bed.v1));
    bed.publish(V2, D2, null, 10);
    bed.docker.oneShots.put("inspect", s -> s.body().getString("Image").equals(bed.v1.id())
        ? new OneShotResult(0, false, "ODOO_AGENT_MANIFESTS " + bed.v1Modules().encode())
        : new OneShotResult(1, false, "Traceback (most recent call last):\nSyntaxError: invalid syntax"));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("failed", r.getString("outcome"));
      assertEquals("cannot read the module versions of " + DeployBed.REPO + "@" + D2
          + " (no odoo.modules label, and reading /mnt/extra-addons failed: SyntaxError: invalid syntax) (nothing was changed)",
          r.getString("reason"));
      assertEquals(List.of("pull " + V2, "oneShot inspect", "oneShot inspect"), bed.docker.mutations());
    });
  }

  @Test
  void aCommitPrunesTheOldestImagesAndKeepsTheRunningAndPreviousOnes(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    Instant v1Created = Instant.parse(bed.v1.created());
    // ids sort the same way as age (oldest lowest), so an order by id would keep the oldest
    String[][] older = {{"v0a", "0", "30"}, {"v0b", "1", "20"}, {"v0c", "f", "10"}};
    for (String[] o : older) {
      bed.docker.addImage(o[0], new ImageInfo("sha256:" + o[1].repeat(64), List.of(), List.of(DeployBed.REPO + "@" + DeployBed.digest(o[1].charAt(0))),
          Map.of(), new JsonObject(), v1Created.minus(Duration.ofMinutes(Integer.parseInt(o[2]))).toString()), true);
    }
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("success", r.getString("outcome"));
      List<String> m = bed.docker.mutations();
      assertEquals(List.of("remove old", "remove volume " + InspectFixtures.addonsVolume(), "remove image v0b", "remove image v0a"), m.subList(m.size() - 4, m.size()),
          "keep_images 3: v2 (running), v1 (previous) and v0c, the newest of the rest");
    });
  }

  @Test
  void recoveryThatFindsAContainerTheAgentDidNotMakeInTheServicePlaceStandsStillAndTouchesNothing(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    Promise<Void> gating = Promise.promise();
    bed.gate.holdNext(gating);
    bed.run(bed.request("d1", V2, null));
    String foreignId = "f".repeat(64);
    Future<JsonObject> resumed = gating.future().compose(x -> {
      // the agent is killed mid-gate; the operator removes the failed container and starts the service by hand
      bed.restart();
      bed.docker.containers.remove(bed.docker.byAlias("new").id);
      JsonObject raw = InspectFixtures.json(InspectFixtures.COMPOSE).put("Id", foreignId);
      bed.docker.add(foreignId, "foreign", "ut-x", bed.v1.id(), true, raw);
      return bed.on(() -> bed.deployer.resume(bed.journal.unfinished()).map(DeployRun::json));
    });
    verify(ctx, resumed, r -> {
      assertEquals("failed", r.getString("outcome"));
      assertTrue(r.getString("reason").contains("container ut-x (" + foreignId.substring(0, 12) + ") was not made by the agent"),
          r.getString("reason"));
      assertTrue(r.getString("reason").contains("odoo-agent deploy TAG"), "it says what to do: " + r.getString("reason"));
      assertTrue(bed.docker.byAlias("foreign").running, "the operator's container still serves");
      assertEquals("ut-x", bed.docker.byAlias("foreign").name);
      assertTrue(bed.docker.mutations().stream().noneMatch(m -> m.contains("foreign")), bed.docker.mutations().toString());
      assertEquals(ASIDE, bed.docker.byAlias("old").name, "the old container stays aside, stopped");
      assertFalse(bed.docker.byAlias("old").running);
      assertEquals(AgentState.FAILED, bed.machine.state());
      assertEquals(r.getString("reason"), bed.store.failure(), "FAILED is persisted until an operator acts");
      assertEquals(AgentState.FAILED, new AgentState.Machine(new StateStore(vertx, dir.resolve("state")).failed() != null
          ? AgentState.FAILED : AgentState.IDLE, (a, b) -> { }).state(), "and a restarted agent starts in it");
    });
  }

  @Test
  void aRollbackRetriesATransientFailureWithinTheRollbackTimeout(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, "rollback_timeout: 30s");
    bed.docker.oneShots.put("upgrade", spec -> new OneShotResult(1, false, "psycopg2.OperationalError: server closed the connection"));
    int[] restores = {0};
    bed.docker.oneShots.put("restore", spec -> ++restores[0] == 1
        ? new OneShotResult(2, false, "psycopg2.OperationalError: could not connect to server: Connection refused")
        : new OneShotResult(0, false, "restore odoo <- " + COPY + " done"));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertEquals("upgrade_failed", r.getString("rollback_reason"));
      assertEquals(2, restores[0], "the first restore met the outage; the second, after a backoff, put the database back");
      assertTrue(bed.docker.byAlias("old").running);
      assertEquals("ut-x", bed.docker.byAlias("old").name);
      assertEquals(AgentState.IDLE, bed.machine.state());
      assertNull(bed.store.failed());
      assertTrue(bed.store.rejectedBy(D2).contains("rolled back: upgrade_failed"), "the digest that failed is rejected");
    });
  }

  @Test
  void anEngineErrorAfterTheStopIsAnEngineFailureNotAHealthFailure(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    bed.docker.failures.put("create ut-x", new DockerException("create container ut-x failed: Cannot connect to the Docker daemon", null));
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertEquals("engine_failed", r.getString("rollback_reason"));
      assertEquals(1, bed.rollbacks("engine_failed"));
      assertEquals(0, bed.rollbacks("health_failed"));
    });
  }

  @Test
  void resumeDuringThePlanFailsTheDeployAndTouchesNothing(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    // no odoo.modules label: the plan reads the manifests in a one-shot, where the agent is killed
    bed.publish(V2, D2, null, 10);
    verify(ctx, killAndResume(bed, "oneShot inspect", u -> {
      assertEquals("plan", u.getString("interrupted_step"));
      assertEquals("gate hooks", u.getString("done"));
    }), r -> {
      assertEquals("failed", r.getString("outcome"));
      assertEquals("the agent stopped during 'plan' before anything was changed", r.getString("reason"));
      assertEquals(List.of("remove oneshot:inspect"), bed.docker.mutations(), "only the one-shot left running is cleaned up");
      assertTrue(bed.docker.byAlias("old").running);
    });
  }
}
