package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two hosts serving one database (service.shared_database): each has its own stand-in Odoo and agent, and both
 * containers use the same database. One host upgrades it; the other swaps code only after the leader's verdict.
 * Host a runs on the host network and lets its agent take the database connection from odoo.conf; host b sets it.
 */
class SharedDatabaseIT {
  private static final String DATABASE = "it_shareddb";
  private static final String COORDINATION = "it_shareddb_coord";
  private OdooFixture odooA;
  private OdooFixture odooB;
  private AgentProcess a;
  private AgentProcess b;

  @BeforeEach
  void up() throws IOException {
    TestBed.psql("postgres", "DROP DATABASE IF EXISTS " + COORDINATION);
    odooA = new OdooFixture("it-sdb-a", DATABASE, 18447, true).fresh("v1").start("v1");
    odooB = new OdooFixture("it-sdb-b", DATABASE, 18448, false).sharing(odooA).start("v1");
    a = shared(new AgentProcess("sdb-a", odooA, 19447, 19448));
    b = shared(new AgentProcess("sdb-b", odooB, 19449, 19450))
        .set("service.database_host", TestBed.env("PG_HOST")).set("service.database_port", TestBed.env("PG_PORT"))
        .set("service.database_user", TestBed.env("PG_USER"));
    a.start();
    b.start();
  }

  private static AgentProcess shared(AgentProcess agent) {
    return agent.set("service.shared_database", "true").set("service.database_password_file", TestBed.env("PG_PASSWORD_FILE"))
        .set("service.coordination_database", COORDINATION);
  }

  @AfterEach
  void down() throws InterruptedException {
    for (AgentProcess p : new AgentProcess[] {a, b}) {
      if (p != null) {
        p.close();
      }
    }
    for (OdooFixture f : new OdooFixture[] {odooB, odooA}) {
      if (f != null) {
        f.close();
      }
    }
    TestBed.psql("postgres", "DROP DATABASE IF EXISTS " + COORDINATION);
  }

  @Test
  void aDeployThatUpgradesModulesUpgradesTheSharedDatabaseOnceAndBothHostsEndOnTheNewDigest() {
    String leading = a.deploy(new JsonObject().put("tag", "v2"));
    awaitJournal(a, "coordinate", "done");
    String following = b.deploy(new JsonObject().put("tag", "v2"));

    JsonObject led = a.awaitVerdict(leading, Duration.ofSeconds(120));
    JsonObject followed = b.awaitVerdict(following, Duration.ofSeconds(120));
    assertEquals("success", led.getString("outcome"), led.encode());
    assertEquals("success", followed.getString("outcome"), followed.encode());
    assertEquals(1, journalCount(a, "upgrade", "started"), "the leader upgraded once");
    assertEquals(0, journalCount(b, "upgrade", "started") + journalCount(b, "snapshot", "started"),
        "the follower neither snapshotted nor upgraded: " + b.log());
    assertEquals(new JsonArray(), followed.getJsonArray("modules"), "code only on the follower");
    assertEquals(OdooFixture.V2_MODULES, odooA.customModules(), "the one database carries v2's module versions");
    assertEquals(TestBed.digest("v2"), odooA.runningDigest());
    assertEquals(TestBed.digest("v2"), odooB.runningDigest());
    assertEquals("it-sdb-a|success", sharedRecord(TestBed.digest("v2")));
    assertEquals(List.of(), odooA.copies(), "the leader's safety copy is dropped (deploy.keep_copy is 0 here)");
  }

  @Test
  void aFailedUpgradeIsRolledBackByTheLeaderAndStartedNowhereElse() throws IOException {
    String schema = TestBed.schema(DATABASE);
    String digest = TestBed.digest("upgrade-fails");
    String leading = a.deploy(new JsonObject().put("tag", "upgrade-fails"));
    awaitJournal(a, "coordinate", "done");
    String following = b.deploy(new JsonObject().put("tag", "upgrade-fails"));

    JsonObject led = a.awaitVerdict(leading, Duration.ofSeconds(120));
    JsonObject followed = b.awaitVerdict(following, Duration.ofSeconds(120));
    assertEquals("rolled_back", led.getString("outcome"), led.encode());
    assertEquals("skipped", followed.getString("outcome"), followed.encode());
    assertTrue(followed.getString("reason").contains("host it-sdb-a rolled it back"), followed.getString("reason"));
    assertEquals(0, journalCount(b, "stop old", "started"), "the follower never stopped its container: " + b.log());
    assertEquals(odooA.startedDigest, odooA.runningDigest());
    assertEquals(odooB.startedDigest, odooB.runningDigest(), "the follower still runs v1");
    assertEquals(OdooFixture.V1_MODULES, odooA.customModules(), "the leader restored the database");
    assertEquals(schema, TestBed.schema(DATABASE));
    assertEquals("it-sdb-a|rolled_back", sharedRecord(digest));
    assertTrue(state(b).getJsonObject("rejected").containsKey(digest), "the follower's forward-only policy refuses it from now on");
  }

  @Test
  void aLeaderKilledMidUpgradeIsWaitedForAndItsRecoveryDecidesForEveryHost() throws Exception {
    String schema = TestBed.schema(DATABASE);
    String digest = TestBed.digest("upgrade-hangs");
    String leading = a.deploy(new JsonObject().put("tag", "upgrade-hangs"));
    awaitJournal(a, "upgrade", "started");
    String following = b.deploy(new JsonObject().put("tag", "upgrade-hangs"));
    TestBed.await("the follower waits for the leader (log: " + b.log + ")", Duration.ofSeconds(60),
        () -> b.log().contains("host it-sdb-a is upgrading the database to " + digest));

    a.kill9();
    TestBed.await("the follower, holding the freed lock, finds the record without verdict and waits (log: " + b.log + ")",
        Duration.ofSeconds(60), () -> b.log().contains("gave no verdict"));
    assertEquals(0, journalCount(b, "stop old", "started"), "the follower did not take over: " + b.log());
    assertEquals(odooB.startedDigest, odooB.runningDigest());
    assertEquals("it-sdb-a|started", sharedRecord(digest));

    a.start();
    TestBed.await("the leader's recovery verdict", Duration.ofSeconds(120), () -> !a.history().isEmpty()
        && leading.equals(a.history().getJsonObject(0).getString("id")) && !a.status().getBoolean("deploy_in_progress"));
    JsonObject recovered = a.history().getJsonObject(0);
    assertEquals("rolled_back", recovered.getString("outcome"), recovered.encode());
    JsonObject followed = b.awaitVerdict(following, Duration.ofSeconds(60));
    assertEquals("skipped", followed.getString("outcome"), followed.encode());
    assertEquals(0, journalCount(b, "upgrade", "started") + journalCount(b, "stop old", "started"), b.log());
    assertEquals(OdooFixture.V1_MODULES, odooA.customModules());
    assertEquals(schema, TestBed.schema(DATABASE));
    assertEquals(odooA.startedDigest, odooA.runningDigest());
    assertEquals(odooB.startedDigest, odooB.runningDigest());
    assertEquals("it-sdb-a|rolled_back", sharedRecord(digest));
    assertFalse(state(b).getJsonObject("rejected").isEmpty());
  }

  private static String sharedRecord(String digest) {
    return TestBed.psql(COORDINATION, "SELECT host || '|' || state FROM shared_deploys WHERE database = '" + DATABASE
        + "' AND digest = '" + digest + "'");
  }

  private static void awaitJournal(AgentProcess agent, String step, String state) {
    TestBed.await("journal " + step + "/" + state + " (log: " + agent.log + ")", Duration.ofSeconds(90),
        () -> journalCount(agent, step, state) > 0);
  }

  private static long journalCount(AgentProcess agent, String step, String state) {
    Path journal = agent.dir.resolve("state/journal.jsonl");
    try {
      return !Files.exists(journal) ? 0 : Files.readAllLines(journal).stream().filter(l -> !l.isBlank()).map(JsonObject::new)
          .filter(e -> step.equals(e.getString("step")) && state.equals(e.getString("state"))).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonObject state(AgentProcess agent) throws IOException {
    return new JsonObject(Files.readString(agent.dir.resolve("state/state.json")));
  }
}
