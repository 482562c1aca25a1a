package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.docker.InspectFixtures;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The engine over the real deployer and a fake container engine: coalescing, pins and operator commands. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EngineTest {
  @TempDir
  Path dir;

  private static String tag(int n) {
    return "sha-" + (1000000 + n);
  }

  private static String digest(int n) {
    return "sha256:" + String.format("%064x", 0xd000 + n);
  }

  /** A bed with ten images sha-1000000..sha-1000009 of v1's modules (so each deploy is quick: no upgrade). */
  private static DeployBed bed(Vertx vertx, Path dir) {
    DeployBed bed = new DeployBed(vertx, dir);
    for (int n = 0; n < 10; n++) {
      bed.publish(tag(n), digest(n), bed.v1Modules(), n + 1);
    }
    return bed;
  }

  private static Trigger trigger(Source source, String tag, String digest) {
    return new Trigger(source, tag, digest, null, Instant.now());
  }

  private static List<String> deployedDigests(DeployBed bed) {
    List<String> out = new ArrayList<>();
    bed.journal.history(100).forEach(o -> out.add(((JsonObject) o).getJsonObject("to").getString("digest")));
    Collections.reverse(out);
    return out;
  }

  private static Future<Void> settled(DeployBed bed, Engine engine, int verdicts) {
    return bed.until(() -> !engine.busy() && bed.journal.history(100).size() == verdicts);
  }

  private static void refused(VertxTestContext ctx, Future<?> f, Class<? extends Throwable> type, String message, Runnable after) {
    f.onComplete(ar -> ctx.verify(() -> {
      assertTrue(ar.failed(), "expected a refusal, got " + ar.result());
      assertInstanceOf(type, ar.cause());
      assertEquals(message, ar.cause().getMessage());
      after.run();
    }));
  }

  @Test
  void aBurstOfTriggersWithinTheSettleWindowDeploysOnlyTheLast(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ofMillis(200));
    List<Verdict> answers = new ArrayList<>();
    bed.on(() -> {
      for (int n = 0; n < 10; n++) {
        answers.add(engine.offer(trigger(Source.REGISTRY, tag(n), digest(n))));
      }
      return Future.succeededFuture();
    }).compose(x -> settled(bed, engine, 1)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(Collections.nCopies(10, Verdict.ACCEPTED), answers);
      assertEquals(List.of(digest(9)), deployedDigests(bed));
      assertEquals(List.of("pull " + tag(9), "oneShot check", "stop old", "rename old ut-x__prev_" + bed.journal.lastVerdict().getString("id").replace("-", ""),
          "create ut-x", "start new", "gate new", "remove old", "remove volume " + InspectFixtures.addonsVolume()),
          bed.docker.mutations(), "only the last image is pulled");
      assertEquals(9, bed.deployments("skipped"));
      assertEquals(1, bed.deployments("success"));
      assertEquals("registry", bed.journal.lastVerdict().getString("source"));
      assertEquals(0, bed.metric("odoo_agent_deploy_in_progress"));
      ctx.completeNow();
    })));
  }

  @Test
  void requestsWhileADeployRunsReplaceTheOneWaitingAndTheLatestRunsNext(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ZERO);
    Promise<Void> gateReached = Promise.promise();
    Promise<HealthGate.Verdict> gate = bed.gate.holdNext(gateReached);
    List<String> ids = new ArrayList<>();
    bed.on(() -> engine.deploy(tag(1), null, false, "admin")).compose(id -> {
      ids.add(id);
      return gateReached.future();
    }).compose(x -> bed.on(() -> {
      ctx.verify(() -> {
        assertTrue(engine.busy());
        assertEquals(1, bed.metric("odoo_agent_deploy_in_progress"));
        assertEquals("deploying", engine.status().getString("state"));
        assertEquals(true, engine.status().getBoolean("deploy_in_progress"));
      });
      return Future.all(engine.deploy(tag(2), null, false, "admin"), engine.deploy(null, digest(3), false, "mqtt"))
          .map(all -> engine.offer(trigger(Source.GITHUB, tag(4), digest(4))));
    })).compose(verdict -> bed.on(() -> {
      ctx.verify(() -> assertEquals(Verdict.ACCEPTED, verdict));
      // queued after the three requests on the same context, so they have all been taken in by now
      gate.complete(new HealthGate.Verdict(true, ""));
      return Future.succeededFuture();
    })).compose(x -> settled(bed, engine, 2)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(List.of(digest(1), digest(4)), deployedDigests(bed));
      assertEquals(ids.get(0), bed.journal.history(2).getJsonObject(1).getString("id"));
      assertEquals("github", bed.journal.lastVerdict().getString("source"));
      assertEquals(2, bed.deployments("skipped"), "the waiting deploys of " + tag(2) + " and " + digest(3) + " were replaced");
      assertEquals(2, bed.deployments("success"));
      List<String> pulls = bed.docker.mutations().stream().filter(c -> c.startsWith("pull ")).toList();
      assertEquals(List.of("pull " + tag(1), "pull " + tag(4)), pulls);
      assertFalse(engine.status().getBoolean("deploy_in_progress"));
      ctx.completeNow();
    })));
  }

  @Test
  void aPinHoldsUntilUnpinnedAndUnpinCatchesUpWithTheChannel(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    bed.tags.put("latest", digest(5));
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> engine.pin(tag(3), null, "admin")).compose(id -> {
      ctx.verify(() -> {
        assertNotNull(id, "pinning an image that does not run deploys it");
        assertEquals(new JsonObject().put("tag", tag(3)).put("digest", digest(3)), bed.store.pinned());
        assertEquals(1, bed.metric("odoo_agent_pinned"));
        assertTrue(bed.resolved.contains(tag(3)));
      });
      return settled(bed, engine, 1);
    }).compose(x -> bed.on(() -> {
      Verdict channel = engine.offer(trigger(Source.POLL, "latest", digest(5)));
      Verdict sha = engine.offer(trigger(Source.MQTT, tag(6), digest(6)));
      ctx.verify(() -> {
        assertEquals(Verdict.IGNORED, channel);
        assertEquals(Verdict.IGNORED, sha);
        assertFalse(engine.busy());
        assertEquals(new JsonObject().put("tag", tag(3)).put("digest", digest(3)), engine.status().getJsonObject("pinned"));
      });
      return engine.deploy(tag(6), null, false, "admin").map("accepted").recover(e -> Future.succeededFuture(e.getMessage()));
    })).compose(refusal -> {
      ctx.verify(() -> assertEquals("pinned to " + tag(3) + "@" + digest(3) + "; unpin first, or deploy with --force", refusal));
      return bed.on(() -> engine.pin(null, digest(3), "admin"));
    }).compose(again -> {
      ctx.verify(() -> assertNull(again, "pinning what runs deploys nothing"));
      return bed.on(() -> engine.deploy(tag(6), null, true, "admin"));
    }).compose(forced -> settled(bed, engine, 2)).compose(x -> {
      ctx.verify(() -> {
        assertEquals(digest(6), bed.store.current().getString("digest"), "--force deploys past the pin");
        assertNotNull(bed.store.pinned(), "and leaves the pin in place");
      });
      return bed.on(() -> engine.unpin("admin"));
    }).compose(id -> {
      ctx.verify(() -> {
        assertNotNull(id);
        assertNull(bed.store.pinned());
        assertEquals(0, bed.metric("odoo_agent_pinned"));
        assertEquals("latest", bed.resolved.get(bed.resolved.size() - 1));
      });
      return settled(bed, engine, 3);
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(List.of(digest(3), digest(6), digest(5)), deployedDigests(bed));
      assertEquals("latest", bed.journal.lastVerdict().getJsonObject("to").getString("tag"));
      ctx.completeNow();
    })));
  }

  @Test
  void unpinWhenTheChannelAlreadyRunsDeploysNothing(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    bed.tags.put("latest", DeployBed.digestOf(bed.v1));
    Engine engine = bed.engine(Duration.ZERO);
    bed.store.pin(new JsonObject().put("tag", "v1").put("digest", DeployBed.digestOf(bed.v1)));
    bed.on(() -> engine.unpin("mqtt")).onComplete(ctx.succeeding(id -> ctx.verify(() -> {
      assertNull(id);
      assertNull(bed.store.pinned());
      assertFalse(engine.busy());
      assertEquals(List.of(), bed.docker.all());
      ctx.completeNow();
    })));
  }

  @Test
  void rollbackWithoutAPreviousImageIsRefused(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ZERO);
    refused(ctx, bed.on(() -> engine.rollback(Commands.RollbackMode.UNSPECIFIED, "admin")), IllegalStateException.class,
        "no previous image is recorded; nothing to roll back to", () -> {
          assertFalse(engine.busy());
          assertEquals(List.of(), bed.docker.all());
          ctx.completeNow();
        });
  }

  @Test
  void rollbackAfterAnUpgradeNeedsAChoiceAndCodeOnlyRunsTheOlderCodeOnTheDatabaseAsItIs(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.modulesWith("ipai_core", "18.0.1.1.0"), 10);
    Engine engine = bed.engine(Duration.ZERO);
    String d1 = DeployBed.digestOf(bed.v1);
    Future<String> unspecified = bed.on(() -> engine.deploy("sha-2222222", null, false, "admin"))
        .compose(x -> settled(bed, engine, 1))
        .compose(x -> bed.on(() -> engine.rollback(Commands.RollbackMode.UNSPECIFIED, "admin")));
    unspecified.recover(refusal -> {
      ctx.verify(() -> {
        assertTrue(refusal.getMessage().contains("upgraded modules [\"ipai_core\"]; say how to roll back: --restore-database (puts back"),
            refusal.getMessage());
        assertTrue(refusal.getMessage().contains("every row and file written since then is lost"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("--code-only (keeps the database as it is"), refusal.getMessage());
        assertFalse(engine.busy(), "nothing was queued");
      });
      bed.docker.mark();
      return bed.on(() -> engine.rollback(Commands.RollbackMode.CODE_ONLY, "admin"));
    }).compose(x -> settled(bed, engine, 2)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertTrue(unspecified.failed(), "a rollback after an upgrade must say which");
      JsonObject v = bed.journal.lastVerdict();
      assertEquals("success", v.getString("outcome"));
      assertEquals("manual rollback", v.getString("reason"));
      assertEquals(new JsonArray(), v.getJsonArray("modules"), "going back does not run -u of the older modules");
      assertEquals(new JsonObject().put("tag", "v1").put("digest", d1), v.getJsonObject("to"));
      assertTrue(bed.docker.mutations().stream().noneMatch(c -> c.startsWith("pull ") || c.equals("oneShot upgrade")
          || c.equals("oneShot snapshot") || c.equals("oneShot restore")), bed.docker.mutations().toString());
      assertEquals(1, bed.rollbacks("manual"));
      assertEquals(d1, bed.store.current().getString("digest"));
      assertEquals(d2, bed.store.previous().getString("digest"));
      assertTrue(bed.store.rejectedBy(d2).contains("rolled back by an operator"), "the version left stays refused to triggers");
      assertNull(bed.store.keptCopy(), "a copy of a version no longer running can never be restored: dropped");
      ctx.completeNow();
    })));
  }

  @Test
  void rollbackWithRestoreDatabasePutsBackTheKeptCopyAfterASafetyCopyOfTheDatabaseAsItIs(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.modulesWith("ipai_core", "18.0.1.1.0"), 10);
    Engine engine = bed.engine(Duration.ZERO);
    String[] kept = new String[1];
    bed.on(() -> engine.deploy("sha-2222222", null, false, "admin")).compose(x -> settled(bed, engine, 1)).compose(x -> {
      kept[0] = bed.store.keptCopy().getString("name");
      bed.docker.mark();
      return bed.on(() -> engine.rollback(Commands.RollbackMode.RESTORE_DATABASE, "admin"));
    }).compose(x -> settled(bed, engine, 2)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonObject v = bed.journal.lastVerdict();
      assertEquals("success", v.getString("outcome"), v.encodePrettily());
      List<String> m = bed.docker.mutations();
      assertTrue(m.indexOf("oneShot snapshot") < m.indexOf("oneShot restore") && m.indexOf("oneShot snapshot") > m.indexOf("stop new"), m.toString());
      assertEquals(new JsonArray(DbTool.restore("odoo", kept[0])), bed.docker.oneShotSpecs.get("restore").body().getJsonArray("Cmd"));
      assertFalse(m.contains("oneShot upgrade"), m.toString());
      assertNull(bed.store.keptCopy(), "the kept copy became the database");
      assertEquals(1, bed.rollbacks("manual"));
      ctx.completeNow();
    })));
  }

  @Test
  void invalidTagsAndDigestsAreRefusedWithTheAllowedForm(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ZERO);
    String badTag = "tag \"v1 beta\" is not a valid image tag (allowed: [A-Za-z0-9_][A-Za-z0-9._-]{0,127})";
    String badDigest = "digest \"sha256:ABC\" is not a valid digest (expected sha256: and 64 lowercase hex characters)";
    List<Future<String>> attempts = List.of(
        engine.deploy("v1 beta", null, false, "admin"),
        engine.deploy(null, "sha256:ABC", false, "admin"),
        engine.deploy(null, null, false, "admin"),
        engine.deploy("-v1", null, true, "admin"),
        engine.pin("v1 beta", null, "admin"),
        engine.pin(null, "sha256:" + "a".repeat(63), "admin"));
    List<String> expected = List.of(badTag, badDigest, "give a tag or a digest",
        "tag \"-v1\" is not a valid image tag (allowed: [A-Za-z0-9_][A-Za-z0-9._-]{0,127})", badTag,
        "digest \"sha256:" + "a".repeat(63) + "\" is not a valid digest (expected sha256: and 64 lowercase hex characters)");
    Future.join(attempts).onComplete(ar -> ctx.verify(() -> {
      for (int i = 0; i < attempts.size(); i++) {
        assertTrue(attempts.get(i).failed(), "attempt " + i);
        assertInstanceOf(IllegalArgumentException.class, attempts.get(i).cause());
        assertEquals(expected.get(i), attempts.get(i).cause().getMessage());
      }
      assertNull(bed.store.pinned());
      assertFalse(engine.busy());
      assertEquals(List.of(), bed.resolved, "nothing is looked up for a malformed request");
      ctx.completeNow();
    }));
  }

  @Test
  void aTriggerForAnotherTagIsIgnoredAndNotQueued(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(Source.GITHUB, "v2-rc", digest(1))))).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(Verdict.IGNORED, v);
      assertFalse(engine.busy());
      ctx.completeNow();
    })));
  }

  @Test
  void recoverFinishesAnInterruptedDeployBeforeTheEngineTakesRequests(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Future<Void> killed = bed.docker.hangAt("oneShot check");
    bed.publish("sha-2222222", DeployBed.digest('2'), bed.modulesWith("ipai_core", "18.0.1.1.0"), 30);
    bed.run(bed.request("d1", "sha-2222222", null));
    killed.compose(x -> {
      bed.restart();
      Engine engine = bed.engine(Duration.ZERO);
      return bed.on(() -> {
        Future<Void> recovered = engine.recover();
        ctx.verify(() -> assertTrue(engine.busy(), "a deploy request waits for recovery"));
        return recovered;
      }).map(engine);
    }).compose(engine -> bed.on(() -> {
      ctx.verify(() -> {
        assertFalse(engine.busy());
        assertNull(bed.journal.unfinished());
        assertEquals("failed", bed.journal.lastVerdict().getString("outcome"));
      });
      return engine.recover();
    })).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(1, bed.journal.history(10).size(), "recovering twice does nothing the second time");
      ctx.completeNow();
    })));
  }

  @Test
  void aTriggerThatArrivesBeforeRecoveryWaitsForIt(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Future<Void> killed = bed.docker.hangAt("oneShot check");
    bed.publish("sha-2222222", DeployBed.digest('2'), bed.modulesWith("ipai_core", "18.0.1.1.0"), 30);
    String d3 = DeployBed.digest('3');
    bed.publish("sha-3333333", d3, bed.v1Modules(), 40);
    bed.run(bed.request("d1", "sha-2222222", null));
    killed.compose(x -> {
      bed.restart();
      Engine engine = bed.engine(Duration.ZERO);
      // a listener bound before the journal is read hears of a newer version first
      return bed.on(() -> Future.succeededFuture(engine.offer(new Trigger(Source.POLL, "latest", d3, null, Instant.now()))))
          .compose(v -> bed.on(() -> {
            ctx.verify(() -> assertEquals("d1", bed.journal.unfinished().getString("id"),
                "nothing starts over the interrupted deploy before recovery"));
            return engine.recover();
          }))
          .compose(y -> settled(bed, engine, 2));
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonArray history = bed.journal.history(10);
      assertEquals("failed", history.getJsonObject(1).getString("outcome"), "the interrupted deploy converged first");
      assertEquals(d3, history.getJsonObject(0).getJsonObject("to").getString("digest"));
      assertEquals("success", history.getJsonObject(0).getString("outcome"));
      ctx.completeNow();
    })));
  }

  @Test
  void aDigestThatWasRolledBackIsNotDeployedAgainByTriggersButIsByAnOperator(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir);
    Engine engine = bed.engine(Duration.ZERO);
    bed.store.rejected(digest(7), "d-earlier");
    bed.on(() -> {
      Verdict poll = engine.offer(trigger(Source.POLL, "latest", digest(7)));
      Verdict other = engine.offer(trigger(Source.POLL, "latest", digest(8)));
      ctx.verify(() -> {
        assertEquals(Verdict.IGNORED, poll, "the poll would otherwise redeploy the bad channel head every interval");
        assertEquals(Verdict.ACCEPTED, other);
      });
      return settled(bed, engine, 1);
    }).compose(x -> bed.on(() -> engine.deploy(null, digest(7), false, "admin")))
        .onComplete(ctx.succeeding(id -> ctx.verify(() -> {
          assertNotNull(id, "an operator may retry it");
          ctx.completeNow();
        })));
  }

  @Test
  void aTriggerQueuedDuringTheDeployThatRollsItsDigestBackIsNotStarted(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.v1Modules(), 10);
    bed.gate.verdicts.put("new", new HealthGate.Verdict(false, "3 probes of /web/health answered 500"));
    Engine engine = bed.engine(Duration.ZERO);
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> verdict = bed.gate.holdNext(gating);
    bed.on(() -> Future.succeededFuture(engine.offer(new Trigger(Source.GITHUB, "sha-2222222", d2, "g-1", Instant.now()))));
    gating.future().compose(x -> {
      // while d2 is being gated, an MQTT tag event without a digest arrives: only its resolved digest can be judged
      Verdict second = engine.offer(new Trigger(Source.MQTT, "sha-2222222", null, null, Instant.now()));
      ctx.verify(() -> assertEquals(Verdict.ACCEPTED, second));
      verdict.complete(new HealthGate.Verdict(false, "3 probes of /web/health answered 500"));
      return settled(bed, engine, 2);
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonArray h = bed.journal.history(2);
      assertEquals("skipped", h.getJsonObject(0).getString("outcome"), h.encodePrettily());
      assertTrue(h.getJsonObject(0).getString("reason").contains("was rolled back on this host"), h.getJsonObject(0).getString("reason"));
      assertEquals("rolled_back", h.getJsonObject(1).getString("outcome"));
      assertEquals(1, bed.docker.mutations().stream().filter(m -> m.equals("create ut-x")).count(), "d2 was started once, not twice");
      ctx.completeNow();
    })));
  }

  @Test
  void aTriggerForTheDigestAlreadyBeingDeployedIsNotQueuedAgain(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.v1Modules(), 10);
    Engine engine = bed.engine(Duration.ZERO);
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> verdict = bed.gate.holdNext(gating);
    bed.on(() -> Future.succeededFuture(engine.offer(new Trigger(Source.POLL, "latest", d2, null, Instant.now()))));
    gating.future().compose(x -> {
      ctx.verify(() -> assertEquals(Verdict.IGNORED, engine.offer(new Trigger(Source.POLL, "latest", d2, null, Instant.now())),
          "the poll's next look at the channel, mid-deploy"));
      verdict.complete(new HealthGate.Verdict(true, ""));
      return settled(bed, engine, 1);
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(1, bed.journal.history(10).size(), "one deploy, no skipped duplicate: " + bed.journal.history(10).encode());
      assertEquals(0, bed.deployments("skipped"));
      ctx.completeNow();
    })));
  }

  @Test
  void aFailedVerdictHoldsAcrossARestartUntilAnOperatorActs(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.v1Modules(), 10);
    String d3 = DeployBed.digest('3');
    bed.publish("sha-3333333", d3, bed.v1Modules(), 20);
    bed.gate.verdicts.put("new", new HealthGate.Verdict(false, "never healthy"));
    bed.gate.verdicts.put("old", new HealthGate.Verdict(false, "connection refused"));
    Engine first = bed.engine(Duration.ZERO);
    bed.on(() -> first.deploy("sha-2222222", null, false, "admin")).compose(x -> settled(bed, first, 1)).compose(x -> {
      bed.restart();
      Engine again = bed.engine(Duration.ZERO);
      ctx.verify(() -> {
        assertEquals(AgentState.FAILED, bed.machine.state(), "the restarted agent starts FAILED");
        assertEquals("failed", again.status().getString("state"));
        assertFalse(again.status().getBoolean("ready"));
        assertTrue(again.status().getJsonObject("failed").getString("action").contains("an operator must act"));
        assertEquals(Verdict.IGNORED, again.offer(new Trigger(Source.POLL, "latest", d3, null, Instant.now())));
      });
      bed.gate.verdicts.remove("new");
      return bed.on(() -> again.deploy("sha-3333333", null, false, "admin")).compose(y -> settled(bed, again, 2)).map(again);
    }).onComplete(ctx.succeeding(again -> ctx.verify(() -> {
      assertEquals("success", bed.journal.lastVerdict().getString("outcome"));
      assertNull(bed.store.failed());
      assertTrue(again.status().getBoolean("ready"));
      assertEquals("idle", again.status().getString("state"));
      ctx.completeNow();
    })));
  }

  @Test
  void aStoppingAgentLeavesTheDeployInFlightToRecoveryInsteadOfRollingItBack(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = new DeployBed(vertx, dir);
    String d2 = DeployBed.digest('2');
    bed.publish("sha-2222222", d2, bed.v1Modules(), 10);
    Engine engine = bed.engine(Duration.ZERO);
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> verdict = bed.gate.holdNext(gating);
    bed.on(() -> engine.deploy("sha-2222222", null, false, "admin"));
    gating.future().compose(x -> {
      return bed.on(() -> {
        Future<Void> quiet = engine.quiesce(Duration.ofSeconds(10));
        // the engine client fails the gate as the stop closes it
        verdict.complete(new HealthGate.Verdict(false, "the Docker engine client was closed"));
        return quiet;
      });
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertFalse(engine.busy());
      assertNull(bed.journal.lastVerdict(), "no verdict: the next start decides, as after a crash");
      assertEquals("await healthy", bed.journal.unfinished().getString("interrupted_step"));
      assertNull(bed.store.failed(), "a stop is not a failure");
      assertFalse(bed.docker.mutations().contains("remove new"), "nothing was rolled back on the way out: " + bed.docker.mutations());
      ctx.completeNow();
    })));
  }
}
