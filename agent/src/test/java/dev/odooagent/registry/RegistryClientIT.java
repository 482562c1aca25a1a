package dev.odooagent.registry;

import dev.odooagent.it.TestBed;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry client against the test bed's real htpasswd-protected registry on 127.0.0.1:5000. */
class RegistryClientIT {

    private static Vertx vertx;
    private static String registryUrl;
    private static String repository;
    private static String user;
    private static String password;

    @BeforeAll
    static void readTestBed() {
        registryUrl = TestBed.env("REGISTRY_URL");
        repository = ImageRef.parse(TestBed.image()).repository();
        user = TestBed.env("REGISTRY_USER");
        password = TestBed.secret("REGISTRY_PASSWORD_FILE");
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void resolvesV1AndLatestToTheDigestsTheTestBedPushed() throws Exception {
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, password);
        assertEquals(TestBed.digest("v1"), client.resolveDigest("v1").await(30, TimeUnit.SECONDS));
        assertEquals(TestBed.digest("latest"), client.resolveDigest("latest").await(30, TimeUnit.SECONDS));
    }

    @Test
    void pingsTheRegistryWithTheTestBedCredentials() throws Exception {
        new RegistryClient(vertx, registryUrl, repository, user, password).ping().await(30, TimeUnit.SECONDS);
    }

    @Test
    void wrongPasswordIsRejectedNotRetryableWithAHint() {
        String wrong = password + "-wrong";
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, wrong);
        Exception thrown = assertThrows(Exception.class,
                () -> client.resolveDigest("v1").await(30, TimeUnit.SECONDS));
        RegistryException e = assertInstanceOf(RegistryException.class, thrown);
        assertEquals(401, e.status());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("check registry.username / registry.password_file"), e.getMessage());
        assertTrue(e.getMessage().contains(registryUrl), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), "the message leaks the password: " + e.getMessage());
    }

    @Test
    void unknownTagIsNotFoundAndNotRetryable() {
        RegistryClient client = new RegistryClient(vertx, registryUrl, repository, user, password);
        Exception thrown = assertThrows(Exception.class,
                () -> client.resolveDigest("no-such-tag").await(30, TimeUnit.SECONDS));
        RegistryException e = assertInstanceOf(RegistryException.class, thrown);
        assertEquals(404, e.status());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("tag not found"), e.getMessage());
    }
}
