package io.rptun.core.rpmsg;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Virtio notification suppression between two devices served by {@link RpmsgRunner}s: a side that is awake
 * is not kicked for every message, and a side that sleeps is always woken. The serving threads here sleep up
 * to an hour unrung, so a lost wake-up shows as a hang (caught by the timeouts) instead of a 1 s delay.
 */
@Timeout(120)
class NotificationSuppressionTest {
    private static final Duration NO_SAFETY_NET = Duration.ofHours(1);
    private RpmsgLoopback loop;

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close();
        }
    }

    private void start(int num) {
        loop = RpmsgLoopback.start(RpmsgLoopback.table(num, 512), RpmsgOptions.defaults().withName("host"),
                RpmsgOptions.defaults().withName("remote"), NO_SAFETY_NET);
    }

    private static byte[] seq(int i) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(i).putInt(~i).array();
    }

    @Test
    void aReceiverThatIsAwakeIsNotKickedForTheMessagesSentMeanwhileAndGetsThemAllInOrder() throws Exception {
        start(64);
        int count = 60;
        List<Integer> got = new CopyOnWriteArrayList<>();
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        loop.remote().createEndpoint("busy", (ep, msg) -> {
            if (got.isEmpty()) {
                // The remote's serving thread is awake, busy in this callback: the host should find its RX
                // notifications off and send everything below without ringing it.
                inCallback.countDown();
                try {
                    goOn.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            got.add(msg.getIntLE(0));
        });
        RpmsgEndpoint host = loop.host().createEndpoint("busy", (ep, msg) -> {
        });
        assertThat(host.awaitBound(Duration.ofSeconds(10))).isTrue();
        // Suppression starts once the remote's serving loop has waited with the device READY (until then
        // the rings' initial "always notify" holds: extra rings, never a lost one).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!loop.remote().notifications().isManaged() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }

        host.send(seq(0)); // wakes the remote (it was asleep, so this one may ring)
        assertThat(inCallback.await(30, TimeUnit.SECONDS)).isTrue();
        long kicksBefore = loop.host().stats().notificationsSent();
        for (int i = 1; i < count; i++) {
            host.send(seq(i));
        }
        long kicks = loop.host().stats().notificationsSent() - kicksBefore;
        goOn.countDown();

        // Without suppression the host rings once per send: 59 here.
        assertThat(kicks).as("host kicks while the remote was awake").isZero();
        long allIn = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.size() < count && System.nanoTime() < allIn) {
            LockSupport.parkNanos(1_000_000);
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add(i);
        }
        assertThat(got).containsExactlyElementsOf(expected);
    }

    @Test
    void aSideThatSleepsBetweenMessagesIsWokenEveryTimeWithNoSafetyNet() throws Exception {
        start(8);
        BlockingQueue<Integer> echoes = new ArrayBlockingQueue<>(16);
        loop.remote().createEndpoint("echo", (ep, msg) -> ep.sendTo(msg.src(), msg.toByteArray()));
        RpmsgEndpoint host = loop.host().createEndpoint("echo", (ep, msg) -> echoes.offer(msg.getIntLE(0)));
        assertThat(host.awaitBound(Duration.ofSeconds(10))).isTrue();

        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 3000; i++) {
            // Pauses from none to 300 µs: both serving threads go back and forth between polling and
            // sleeping, so the peers' notifications are switched on and off around every kind of race.
            int burst = 1 + random.nextInt(3);
            for (int b = 0; b < burst; b++) {
                host.send(seq(i * 4 + b));
            }
            for (int b = 0; b < burst; b++) {
                Integer echo = echoes.poll(30, TimeUnit.SECONDS);
                assertThat(echo).as("echo %d of round %d (a lost wake-up hangs here)", b, i).isEqualTo(i * 4 + b);
            }
            if (random.nextInt(3) == 0) {
                LockSupport.parkNanos(random.nextInt(300_000));
            }
        }
    }

    @Test
    void aSenderWaitingForTxBuffersIsWokenWhenThePeerReturnsThemWithNoSafetyNet() throws Exception {
        start(4);
        int count = 2000;
        BlockingQueue<Integer> got = new ArrayBlockingQueue<>(count);
        loop.remote().createEndpoint("sink", (ep, msg) -> {
            if (ThreadLocalRandom.current().nextInt(8) == 0) {
                LockSupport.parkNanos(200_000); // now and then slow: the host runs out of its 4 TX buffers
            }
            got.offer(msg.getIntLE(0));
        });
        RpmsgEndpoint host = loop.host().createEndpoint("sink", (ep, msg) -> {
        });
        assertThat(host.awaitBound(Duration.ofSeconds(10))).isTrue();

        for (int i = 0; i < count; i++) {
            host.send(java.lang.foreign.MemorySegment.ofArray(seq(i)), Duration.ofSeconds(30)); // a lost TX notification fails this with NO_TX_BUFFER
        }

        for (int i = 0; i < count; i++) {
            assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo(i);
        }
        assertThat(loop.host().stats().txBuffersFree()).isBetween(0, 4);
    }
}
