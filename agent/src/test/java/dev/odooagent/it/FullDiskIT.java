package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A full disk under the agent's state_dir, and under the filestore. Each is a small tmpfs of the test's own, filled
 * to the top: a journal that cannot be written refuses the deploy before anything changes; a safety copy that cannot
 * be made fails the deploy cleanly, with the old container and the database as they were.
 */
class FullDiskIT {
  OdooFixture odoo;
  AgentProcess agent;
  final List<Path> mounts = new ArrayList<>();

  @AfterEach
  void down() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    if (odoo != null) {
      odoo.close();
    }
    for (Path m : mounts) {
      TestBed.exec(List.of("umount", "-l", m.toString()), java.util.Map.of(), Duration.ofSeconds(30));
    }
  }

  /** A fresh tmpfs with the given mount options. */
  private Path smallDisk(String name, String options) throws IOException {
    Path dir = Files.createTempDirectory(name);
    TestBed.sh("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString());
    mounts.add(dir);
    return dir;
  }

  /** Fills {@code dir}'s filesystem: first its inodes (when {@code inodes}), then its bytes, until it says ENOSPC. */
  private static void fill(Path dir, boolean inodes) {
    int i = 0;
    try {
      Files.createFile(dir.resolve("fill-0"));
      while (inodes && i < 1_000_000) {
        Files.createFile(dir.resolve("fill-" + ++i));
      }
    } catch (IOException full) {
      // no inode left
    }
    byte[] zeros = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(dir.resolve("fill-0"))) {
      for (long n = 0; n < 1L << 40; n += zeros.length) {
        out.write(zeros);
      }
    } catch (IOException full) {
      // no byte left
    }
  }

  private static void free(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("fill-")).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void fullStateDirRefusesTheDeployBeforeAnythingChanges() throws Exception {
    odoo = new OdooFixture("it-sfull", "it_sfull", 18126, false).fresh("v1").start("v1");
    Path state = smallDisk("it-state-full", "size=1m,mode=0700");
    agent = new AgentProcess("sfull", odoo, 19126, 19136).set("state_dir", state.toString()).start();
    String before = Faults.untouched(odoo);
    String schema = TestBed.schema(odoo.database);
    fill(state, false);

    String id = agent.deploy(new JsonObject().put("tag", "v2"));
    TestBed.await("deploy " + id + " to be refused (log: " + agent.log + ")", Duration.ofSeconds(60), () ->
        agent.log().contains(id) && !agent.status().getBoolean("deploy_in_progress"));

    assertTrue(agent.log().lines().anyMatch(l -> l.contains(id) && l.contains(state.toString()) && l.contains("No space left on device")),
        "a log line names the deploy, the full disk's path and the error: " + agent.log());
    Faults.assertConverged(agent, odoo, id, "failed", state.toString());
    assertEquals(before, Faults.untouched(odoo), "the old container was not touched");
    assertEquals(schema, TestBed.schema(odoo.database), "the database was not touched");

    free(state);
    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
  }

  @Test
  void fullFilestoreDiskFailsTheSnapshotCleanly() throws Exception {
    odoo = new OdooFixture("it-ffull", "it_ffull", 18127, false).fresh("v1");
    // the filestore volume moves onto a small filesystem of its own, which outlives the containers that mount it
    Path disk = smallDisk("it-filestore-full", "size=4m,nr_inodes=256");
    String data = docker("volume", "inspect", "--format", "{{.Mountpoint}}", odoo.volume).strip();
    TestBed.sh("cp", "-a", data + "/.", disk.toString());
    docker("volume", "rm", odoo.volume);
    docker("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=" + disk, odoo.volume);
    odoo.start("v1");
    String schema = TestBed.schema(odoo.database);
    String rows = odoo.modules();
    List<String> files = odoo.filestore();
    assertTrue(!files.isEmpty(), "the fixture has a filestore to copy");
    agent = new AgentProcess("ffull", odoo, 19127, 19137).start();
    // the safety copy hard-links the filestore: it needs inodes, not bytes, so both run out
    fill(disk, true);

    String id = agent.deploy(new JsonObject().put("tag", "v2"));
    agent.awaitVerdict(id, Duration.ofMinutes(2));

    JsonObject d = Faults.assertConverged(agent, odoo, id, "rolled_back", "safety copy");
    assertTrue(d.getString("reason").contains("No space left on device"), d.getString("reason"));
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    assertEquals(schema, TestBed.schema(odoo.database), "the schema is as before");
    assertEquals(rows, odoo.modules(), "the module rows are as before: the upgrade never ran");
    assertEquals(files, odoo.filestore(), "the filestore is as before");

    free(disk);
    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
  }
}
