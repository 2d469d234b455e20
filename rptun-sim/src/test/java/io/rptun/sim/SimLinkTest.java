package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A host and a simulated remote in one JVM over a /dev/shm file, with futex doorbells. */
@Timeout(120)
class SimLinkTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final Path path = SimFile.shmPath("rptun-test-" + UUID.randomUUID());

    @AfterEach
    void fileIsGone() throws Exception {
        Files.deleteIfExists(path);
    }

    @Test
    void aRemoteThreadAttachesOverTheFileAndEchoesThroughFutexDoorbells() throws Exception {
        SimOptions options = SimOptions.defaults("unused").withPath(path);
        Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults());
        try (SimRemote remote = SimRemote.start(options, true, true, List.of())) {
            RpmsgDevice device = host.start();
            assertThat(host.state()).isEqualTo(RptunState.RUNNING);
            assertThat(remote.awaitRunning(WAIT)).isNotNull();
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
            assertThat(echo.awaitBound(WAIT)).isTrue();
            for (int i = 0; i < 2000; i++) {
                echo.send(("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 2000; i++) {
                assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
            }
            RpmsgEndpoint sink = device.createEndpoint(SimRemote.SINK, (ep, msg) -> { });
            assertThat(sink.awaitBound(WAIT)).isTrue();
            for (int i = 0; i < 500; i++) {
                sink.send(new byte[100]);
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (remote.sinkMessages() < 500 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(remote.sinkMessages()).isEqualTo(500);
            assertThat(remote.sinkBytes()).isEqualTo(50_000);
            host.stop();
            assertThat(remote.rptun().awaitState(RptunState.OFFLINE, WAIT)).as("the STOP reached the remote").isTrue();
        } finally {
            host.close();
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void aRemoteOpeningAForeignFileFailsWithATypedError() throws Exception {
        Files.write(path, new byte[8192]);
        java.nio.file.Files.write(path, "NOTRPTUN".repeat(1024).getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> SimDriver.remote(SimOptions.defaults("unused").withPath(path)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.BAD_MAGIC));
    }

    @Test
    void aRemoteWithoutAHostGivesUpWithATypedErrorNamingTheFile() {
        assertThatThrownBy(() -> SimDriver.remote(SimOptions.defaults("unused").withPath(path)
                .withAttachTimeout(Duration.ofMillis(200)))).isInstanceOfSatisfying(SimException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_MISSING);
                    assertThat(e.getMessage()).contains(path.toString());
                });
    }
}
