package io.rptun.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgStats;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The device's meters against a real in-process link (an RpmsgLoopback). */
@Timeout(60)
class RpmsgDeviceMetricsTest {
    @Test
    void theCountersAndGaugesSayWhatTheDevicesStatsSay() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(32, 256))) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new RpmsgDeviceMetrics(loop.host(), "cp").bindTo(registry);
            loop.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.toByteArray()));
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = loop.host().createEndpoint("echo", (ep, msg) -> got.add(msg.asString()));
            assertThat(echo.awaitBound(Waiting.WAIT)).isTrue();
            for (int i = 0; i < 20; i++) {
                echo.send(("m" + i).getBytes(StandardCharsets.UTF_8));
                assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
            }

            RpmsgStats stats = loop.host().stats(); // the link is quiet: the meters read the same numbers
            assertThat(count(registry, RpmsgDeviceMetrics.SENT)).isEqualTo(stats.sent()).isGreaterThanOrEqualTo(20);
            assertThat(count(registry, RpmsgDeviceMetrics.RECEIVED)).isEqualTo(stats.received())
                    .isGreaterThanOrEqualTo(20);
            assertThat(count(registry, RpmsgDeviceMetrics.KICKS_SENT)).isEqualTo(stats.notificationsSent()).isPositive();
            // "m0".."m19": 50 payload bytes each way, plus the name-service messages.
            assertThat(count(registry, RpmsgDeviceMetrics.BYTES_SENT)).isEqualTo(stats.bytesSent())
                    .isGreaterThanOrEqualTo(50);
            assertThat(count(registry, RpmsgDeviceMetrics.BYTES_RECEIVED)).isEqualTo(stats.bytesReceived())
                    .isGreaterThanOrEqualTo(50);
            assertThat(count(registry, RpmsgDeviceMetrics.KICKS_RECEIVED)).isEqualTo(stats.notificationsReceived());
            assertThat(count(registry, RpmsgDeviceMetrics.TX_PUBLICATIONS)).isEqualTo(stats.txPublications())
                    .isPositive().isLessThanOrEqualTo(stats.sent());
            assertThat(gauge(registry, RpmsgDeviceMetrics.TX_FREE)).isEqualTo(stats.txBuffersFree());
            assertThat(gauge(registry, RpmsgDeviceMetrics.TX_ALLOCATED)).isEqualTo(stats.txBuffersAllocated());
            assertThat(gauge(registry, RpmsgDeviceMetrics.RX_BUFFERS)).isEqualTo(32);
            assertThat(gauge(registry, RpmsgDeviceMetrics.RX_HELD)).isZero();
            assertThat(gauge(registry, RpmsgDeviceMetrics.ENDPOINTS)).isEqualTo(1);
        }
    }

    @Test
    void aDroppedMessageIsCountedUnderItsReason() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(32, 256))) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new RpmsgDeviceMetrics(loop.host(), "cp").bindTo(registry);
            RpmsgEndpoint stray = loop.remote().createEndpoint("stray", (ep, msg) -> { });
            stray.sendTo(0x4321, new byte[8]); // nobody lives there on the host
            Waiting.until("the drop", () -> loop.host().stats().dropped(Reason.UNKNOWN_DESTINATION) == 1);
            assertThat(registry.get(RpmsgDeviceMetrics.DROPPED).tag("reason", "unknown_destination")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(registry.get(RpmsgDeviceMetrics.DROPPED).tag("reason", "short_buffer")
                    .functionCounter().count()).isZero();
        }
    }

    @Test
    void everyMeterIsTaggedWithTheLinkAndTheTagSetIsFixed() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(32, 256))) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new RpmsgDeviceMetrics(loop.host(), "cp").bindTo(registry);
            int before = registry.getMeters().size();
            RpmsgDevice host = loop.host();
            for (int i = 0; i < 10; i++) {
                host.createEndpoint("ep" + i, (ep, msg) -> { });
            }
            assertThat(registry.getMeters()).hasSize(before)
                    .allSatisfy(m -> assertThat(m.getId().getTag("link")).isEqualTo("cp"));
            assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                    .allMatch(n -> n.matches("[a-z]+(\\.[a-z]+)+"));
            assertThat(registry.getMeters().stream().filter(m -> m.getId().getName().equals(RpmsgDeviceMetrics.DROPPED)))
                    .hasSize(RpmsgDeviceMetrics.DROP_REASONS.size());
            assertThat(registry.getMeters()).extracting(Meter::getId).extracting(Meter.Id::getBaseUnit)
                    .doesNotContainNull();
        }
    }

    static double count(SimpleMeterRegistry registry, String name) {
        return registry.get(name).functionCounter().count();
    }

    static double gauge(SimpleMeterRegistry registry, String name) {
        return registry.get(name).gauge().value();
    }
}
