package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ChannelStats;
import io.rptun.reactive.ReactiveOptions;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;

/**
 * Issue 24: what a channel nobody reads costs under the default policy (COPY within budgets). The remote
 * produces as fast as it can ({@link MemoryRemoteServices}) into a host channel whose receiver requests
 * nothing: the channel holds its bound zero-copy, copies the rest to the heap until a copy budget is spent,
 * then pauses the link. The host's heap after a full GC grows by no more than the budget (plus
 * {@value MemoryTest#HEAP_MARGIN_MIB} MiB of measurement margin), stays there while the link is paused (for
 * {@value #SHORT_HOLD_SECONDS} s in the short form, {@value #LONG_HOLD_SECONDS} s in the long one), the pause
 * is logged once naming the channel, and when the receiver reads at last it gets every message, in order, and
 * the heap goes back.
 *
 * <p>The budgets here are larger than the defaults (a device budget of {@value #DEVICE_BUDGET_MIB} MiB under a
 * channel budget twice that, so the device budget is the one spent) so that the growth stands well above what
 * a full GC leaves as noise; the defaults (256 KiB and 4 MiB) are below it.
 */
@Timeout(value = 1, unit = TimeUnit.HOURS) // a hang guard sized for the long form; every wait below is bounded
class UnreadChannelMemoryTest {
    static final int SHORT_HOLD_SECONDS = 3;
    static final int LONG_HOLD_SECONDS = 60;
    static final long DEVICE_BUDGET_MIB = 32;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ReliabilityLink link = ReliabilityLink.of("unread", false, MemoryRemoteServices.class);

    @AfterEach
    void cleanUp() throws Exception {
        link.close();
        assertThat(link.path()).doesNotExist();
    }

    /** Requests nothing until told; checks the stream in onNext. */
    private static final class Reader extends BaseSubscriber<RpmsgMessage> {
        private final MemoryTest.ProducerStream stream;

        Reader(MemoryTest.ProducerStream stream) {
            this.stream = stream;
        }

        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            // an unread channel: no demand
        }

        @Override
        protected void hookOnNext(RpmsgMessage msg) {
            if (stream.accept(msg.payload())) {
                cancel();
            }
        }

        @Override
        protected void hookOnError(Throwable e) {
            stream.fail(e);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            LockSupport.parkNanos(10_000_000);
        }
    }

    @Test
    void anUnreadChannelHoldsAtMostItsCopyBudgetOnTheHeapThenPausesTheLinkAndLosesNothing() throws Exception {
        long deviceBudget = DEVICE_BUDGET_MIB << 20;
        long margin = MemoryTest.HEAP_MARGIN_MIB << 20;
        ReactiveOptions options = ReactiveOptions.defaults().withCopyBudget(2 * deviceBudget)
                .withDeviceCopyBudget(deviceBudget);
        Rptun host = link.start();
        RpmsgReactive rpmsg = RpmsgReactive.create(host, options);
        RpmsgChannel channel = rpmsg.open(MemoryRemoteServices.NAME, ReliabilityLink.BOOT).block(ReliabilityLink.BOOT);
        assertThat(channel).isNotNull();
        MemoryTest.ProducerStream stream = new MemoryTest.ProducerStream();
        Reader reader = new Reader(stream);
        channel.receive().subscribe(reader);
        long heapBefore = MemoryRemoteServices.heapAfterGc();
        long warnings = HostileLogCapture.warnMark();

        channel.sendBytes(Mono.just(SoakProtocol.control(SoakProtocol.START, 0, 0, 0, 0))).then().block(WAIT);
        await("the unread channel paused the link", () -> channel.stats().pausing());
        long heapPaused = MemoryRemoteServices.heapAfterGc();
        ChannelStats paused = channel.stats();
        // Paused: nothing more arrives, the heap stays where it is.
        long heapHeldMax = heapPaused;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Scale.pick(SHORT_HOLD_SECONDS, LONG_HOLD_SECONDS));
        while (System.nanoTime() - end < 0) {
            LockSupport.parkNanos(1_000_000_000L); // the sampling period
            heapHeldMax = Math.max(heapHeldMax, MemoryRemoteServices.heapAfterGc());
        }
        ChannelStats stillPaused = channel.stats();
        System.out.printf("MEMORY unread channel: held %d zero-copy and %,d copies counted as %,d bytes (device budget"
                + " %,d, channel budget %,d); host heap after GC %.1f MiB before, %.1f MiB when paused, at most %.1f MiB"
                + " while paused (+%.1f MiB); RX held %d%n", paused.held(), paused.copied(), paused.copiedBytes(),
                deviceBudget, options.copyBudget(), heapBefore / 1048576.0, heapPaused / 1048576.0,
                heapHeldMax / 1048576.0, (heapHeldMax - heapBefore) / 1048576.0, host.device().heldRxBuffers());

        assertThat(paused.held()).as("held zero-copy: the bound").isEqualTo(options.receiveBound());
        assertThat(paused.copiedBytes()).as("copies within the device budget").isLessThanOrEqualTo(deviceBudget)
                .isGreaterThan(deviceBudget - host.device().maxPayload() - ReactiveOptions.COPY_OVERHEAD);
        assertThat(rpmsg.copiedBytes()).isEqualTo(paused.copiedBytes());
        assertThat(stillPaused.pauses()).as("one pause episode").isEqualTo(1);
        assertThat(stillPaused.copied()).as("nothing more arrived while paused").isEqualTo(paused.copied());
        assertThat(host.device().heldRxBuffers()).as("RX buffers kept: the bound").isEqualTo(options.receiveBound());
        assertThat(heapHeldMax - heapBefore).as("host heap growth after GC: at most the budget (and margin)")
                .isLessThanOrEqualTo(deviceBudget + margin)
                .isGreaterThan(deviceBudget / 4); // the copies are really there: the measurement sees them
        assertThat(HostileLogCapture.isInstalled()).as("the log capture (slf4j.provider) is installed").isTrue();
        List<HostileLogCapture.Event> lines = HostileLogCapture.warningsSince(warnings).stream()
                .filter(e -> e.message().contains("paused delivery")).toList();
        assertThat(lines).as("one WARN for the pause episode").hasSize(1);
        assertThat(lines.getFirst().message()).contains("'" + MemoryRemoteServices.NAME + "'");
        System.out.println("MEMORY unread channel, the log line: " + lines.getFirst());

        // The receiver reads at last: the link resumes and every message arrives in order.
        channel.sendBytes(Mono.just(SoakProtocol.control(SoakProtocol.STOP, 0, 0))).then().block(WAIT);
        reader.request(Long.MAX_VALUE);
        long[] report = stream.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(stream.failure).isNull();
        assertThat(stream.lost).as("lost").isZero();
        assertThat(stream.outOfOrder).as("duplicated or reordered").isZero();
        assertThat(stream.corrupt).as("corrupt").isZero();
        assertThat(stream.consumed.get()).as("the receiver took exactly what the producer sent")
                .isEqualTo(report[MemoryRemoteServices.SENT]);
        assertThat(channel.stats().dropped()).isZero();
        assertThat(channel.stats().maxCopiedBytes()).isLessThanOrEqualTo(deviceBudget);
        await("the copies are gone", () -> rpmsg.copiedBytes() == 0);
        long heapAfter = MemoryRemoteServices.heapAfterGc();
        System.out.printf("MEMORY unread channel, read at last: %,d messages in order; host heap after GC %.1f MiB%n",
                stream.consumed.get(), heapAfter / 1048576.0);
        assertThat(heapAfter).as("host heap after GC once read").isLessThanOrEqualTo(heapBefore + margin);
        channel.close().block(WAIT);
        assertThat(host.device().heldRxBuffers()).as("every RX buffer is back").isZero();
    }
}
