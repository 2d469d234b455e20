package io.rptun.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.rptun.core.loopback.LoopbackDrivers;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lifecycle's hooks on the one serving loop ({@code io.rptun.core.rpmsg.ServingLoop}, whose own behaviour
 * {@code ServingLoopTest} pins): a device that fails fails the link, an end the lifecycle caused itself is
 * not reported as a failure. The serving threads sleep up to an hour unrung, so what ends them is a ring.
 */
@Timeout(60)
class RptunServingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration NEVER = Duration.ofHours(1);
    /** {@link LoopbackDrivers#standard()}'s vrings. */
    private static final int NUM = 16;
    private static final long ALIGN = 0x1000;

    /** The serving thread named {@code name}, if it lives. */
    private static Optional<Thread> servingThread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst();
    }

    @Test
    void aDeviceBrokenByASendingThreadFailsTheLinkWithTheDevicesError() {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            // No remote and no READY command: the master is RUNNING on its own device, and nobody touches its
            // TX ring but this test.
            Rptun master = Rptun.create(pair.master(),
                    RptunOptions.defaults().withReadyCommand(false).withIdleWait(NEVER));
            try {
                RpmsgDevice host = master.start();
                RpmsgEndpoint ep = host.createEndpoint("", RpmsgAddresses.ANY, 0x400, (e, msg) -> { });
                ep.send(new byte[] {1}); // stays on the TX ring: nobody takes it
                // used.idx of the host's TX ring (vring 1) now claims five buffers back: the host reaps it when
                // it needs a TX buffer, on this thread's next send.
                LiveResourceTable table = ResourceTableParser.parse(pair.memory(), ParseMode.NUTTX)
                        .attach(pair.memory());
                Vring tx = Vring.at(SharedRegion.of(pair.memory(), 0, AddressEnvironment.identity()),
                        table.vringDa(0, 1), NUM, ALIGN);
                long used = VringLayout.usedOffset(NUM, ALIGN);
                int usedIdx = VringUsedLayout.idxAcquire(tx.memory(), used);
                VringUsedLayout.idxRelease(tx.memory(), used, (usedIdx + 5) & 0xFFFF);

                Throwable thrown = catchThrowable(() -> ep.send(new byte[] {2}));
                assertThat(thrown).isInstanceOfSatisfying(RpmsgException.class,
                        e -> assertThat(e.reason()).isEqualTo(RpmsgException.Reason.DEVICE_BROKEN));
                assertThat(master.awaitState(RptunState.FAILED, WAIT)).as("the link failed").isTrue();
                assertThat(master.failure()).isInstanceOfSatisfying(RpmsgException.class,
                        e -> assertThat(e.reason()).isEqualTo(RpmsgException.Reason.DEVICE_BROKEN));
            } finally {
                master.close();
            }
            assertThat(master.state()).isEqualTo(RptunState.CLOSED);
            assertThat(servingThread("ap-rptun-1")).as("close() ended the serving thread").isEmpty();
        }
    }

    @Test
    void aLostPeerEndsTheServingThreadWithoutFailingTheLink() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            RptunOptions options = RptunOptions.defaults().withIdleWait(NEVER);
            Rptun master = Rptun.create(pair.master(), options);
            // The remote's STOP on close goes to a master that no longer serves: no ACK will come.
            Rptun remote = Rptun.create(pair.remote(), options.withMailboxTimeout(Duration.ofMillis(100)));
            try {
                CompletableFuture<RpmsgDevice> r = CompletableFuture.supplyAsync(remote::start);
                master.start();
                r.get(20, TimeUnit.SECONDS);
                Thread serving = servingThread("ap-rptun-1").orElseThrow();

                Objects.requireNonNull(pair.master().callback()).peerLost("the test said so");
                serving.join(WAIT);
                assertThat(serving.isAlive()).as("the serving thread ended").isFalse();
                assertThat(master.state()).as("lost, not failed").isEqualTo(RptunState.PEER_LOST);
                assertThat(master.failure()).isInstanceOfSatisfying(RptunLifecycleException.class,
                        e -> assertThat(e.reason()).isEqualTo(RptunLifecycleException.Reason.PEER_LOST));
            } finally {
                master.close();
                remote.close();
            }
        }
    }
}
