package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.Await;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Gate hooks as real processes: a silent hang is killed at the timeout, a loud one is drained and cut to a tail. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GateHooksTest {
  private static final String DIGEST = "sha256:" + "a".repeat(64);

  @TempDir
  Path dir;

  @Test
  void aHookThatSleepsSilentlyIsKilledWithItsChildrenAtTheGateTimeout(Vertx vertx, VertxTestContext ctx) {
    Path pid = dir.resolve("child.pid");
    GateHooks hooks = new GateHooks(vertx, List.of("sleep 600 & echo $! > " + pid + "; wait"), Duration.ofSeconds(1));
    hooks.run("repo@" + DIGEST, "sha-1", DIGEST).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertInstanceOf(DeployException.Refused.class, e);
      assertTrue(e.getMessage().contains("did not finish within deploy.gate_timeout (1 s) and was killed"), e.getMessage());
      long child = Long.parseLong(Files.readString(pid).strip());
      // the kill is asynchronous: the process table agrees a moment later
      Await.until("the hook's child " + child + " to be killed too", Duration.ofSeconds(5), Duration.ofMillis(20),
          () -> !ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false));
      ctx.completeNow();
    })));
  }

  @Test
  void aHookThatPrintsMoreThanAPipeHoldsIsDrainedAndReportsOnlyItsTail(Vertx vertx, VertxTestContext ctx) {
    // 2 MiB of report, then a verdict line and a refusal: a pipe holds 64 KiB, so an undrained hook would block forever
    String cmd = "head -c 2097152 /dev/zero | tr '\\\\0' 'x'; echo; echo 'CRITICAL: CVE-2026-0001 in libfoo'; exit 3";
    GateHooks hooks = new GateHooks(vertx, List.of(cmd), Duration.ofSeconds(20));
    hooks.run("repo@" + DIGEST, "sha-1", DIGEST).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertInstanceOf(DeployException.Refused.class, e);
      assertTrue(e.getMessage().contains("exited 3; deploy refused"), e.getMessage());
      assertTrue(e.getMessage().endsWith("CRITICAL: CVE-2026-0001 in libfoo"), e.getMessage());
      assertTrue(e.getMessage().length() < 1000, "only a bounded tail is kept: " + e.getMessage().length());
      ctx.completeNow();
    })));
  }

  @Test
  void aHookThatPassesLetsTheDeployGoOnAndSeesTheImage(Vertx vertx, VertxTestContext ctx) {
    GateHooks hooks = new GateHooks(vertx, List.of("test \"$ODOO_AGENT_DIGEST\" = " + DIGEST + " && test \"$ODOO_AGENT_TAG\" = sha-1"),
        Duration.ofSeconds(20));
    hooks.run("repo@" + DIGEST, "sha-1", DIGEST).onComplete(ctx.succeedingThenComplete());
  }
}
