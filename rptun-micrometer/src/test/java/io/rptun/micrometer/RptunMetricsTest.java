package io.rptun.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A link's meters over a real Rptun lifecycle: a host and a simulated remote in one JVM over /dev/shm. */
@Timeout(120)
class RptunMetricsTest {
    private final Path path = SimFile.shmPath("rptun-metrics-test-" + UUID.randomUUID());

    @AfterEach
    void fileIsGone() throws Exception {
        Files.deleteIfExists(path);
    }

    @Test
    void stateRestartsAndALostPeerAreCountedAndTheDeviceCountersGoOnAcrossAReset() throws Exception {
        SimOptions options = SimOptions.defaults("unused").withPath(path);
        Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (RptunMetrics metrics = new RptunMetrics(host, "sim");
                SimRemote remote = SimRemote.start(options, true, false, List.of())) {
            metrics.bindTo(registry);
            assertThat(state(registry, "offline")).isEqualTo(1);
            assertThat(registry.get(RpmsgDeviceMetrics.TX_FREE).gauge().value()).as("no session yet").isNaN();

            RpmsgDevice first = host.start();
            assertThat(remote.awaitRunning(Waiting.WAIT)).isNotNull();
            echo(first, 10);
            assertThat(state(registry, "running")).isEqualTo(1);
            assertThat(state(registry, "offline")).isZero();
            assertThat(count(registry, RptunMetrics.RESTARTS)).isZero();
            double sentInFirst = count(registry, RpmsgDeviceMetrics.SENT);
            assertThat(sentInFirst).isEqualTo(first.stats().sent()).isGreaterThanOrEqualTo(10);

            host.peerLost("the test says so");
            assertThat(state(registry, "peer_lost")).isEqualTo(1);
            assertThat(count(registry, RptunMetrics.PEER_LOST)).isEqualTo(1);
            assertThat(count(registry, RpmsgDeviceMetrics.SENT)).as("a dead session keeps its count")
                    .isEqualTo(sentInFirst);

            // The simulated remote is alive: the reset reaches it through the mailbox and it attaches again.
            RpmsgDevice second = host.reset(0);
            assertThat(second).isNotSameAs(first);
            Waiting.until("the remote's echo again", () -> second.remoteServices().containsKey(SimRemote.ECHO));
            echo(second, 5);
            assertThat(state(registry, "running")).isEqualTo(1);
            assertThat(count(registry, RptunMetrics.RESTARTS)).isEqualTo(1);
            assertThat(count(registry, RpmsgDeviceMetrics.SENT)).as("the first session's messages and the second's")
                    .isEqualTo(sentInFirst + second.stats().sent());
        } finally {
            host.close();
        }
        assertThat(state(registry, "closed")).isEqualTo(1);
    }

    private static void echo(RpmsgDevice device, int n) throws InterruptedException {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
        assertThat(echo.awaitBound(Waiting.WAIT)).isTrue();
        for (int i = 0; i < n; i++) {
            echo.send(("m" + i).getBytes(StandardCharsets.UTF_8));
            assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
        }
    }

    private static double state(SimpleMeterRegistry registry, String state) {
        return registry.get(RptunMetrics.STATE).tag("state", state).gauge().value();
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.get(name).functionCounter().count();
    }
}
