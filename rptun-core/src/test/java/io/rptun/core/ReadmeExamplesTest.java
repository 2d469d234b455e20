package io.rptun.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceEntry;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's code, run as written (give or take the printing), so the README stays true. */
class ReadmeExamplesTest {

    @Test
    void theStandardTableExampleBuildsAndParsesBack() {
        byte[] rsc = RptunRsc.defaults(Generation.CURRENT)
                .withVrings(256, 0x1000)
                .withBufferSizes(512, 512)
                .withCpuNames("host", "remote")
                .withCarveout(0x10000, 0x10000, 0x70000)
                .toBytes();
        assertThat(rsc).hasSize(264);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(0x80000, 4096);
            MemorySegment.copy(MemorySegment.ofArray(rsc), 0, shm, 0, rsc.length);

            ParsedResourceTable parsed = ResourceTableParser.parse(shm.asSlice(0, 264), ParseMode.NUTTX);
            List<String> seen = new ArrayList<>();
            for (ResourceEntry entry : parsed.table().entries()) {
                switch (entry) {
                    case VdevResource vdev -> seen.add("vdev " + vdev.id() + " with " + vdev.vrings().size() + " vrings");
                    case CarveoutResource c -> seen.add("carveout " + c.name() + " at da 0x" + Long.toHexString(c.da()));
                    default -> { }
                }
            }
            assertThat(seen).containsExactly("vdev 7 with 2 vrings", "carveout  at da 0x10000");

            LiveResourceTable live = parsed.attach(shm);
            live.setGfeatures(0, RptunRsc.F_NS);
            live.setStatus(0, FwRscVdevLayout.STATUS_DRIVER_OK);
            VdevResource reread = live.snapshot(ParseMode.NUTTX).table().vdevs().getFirst();
            assertThat(reread.gfeatures()).isEqualTo(RptunRsc.F_NS);
            assertThat(reread.status()).isEqualTo(FwRscVdevLayout.STATUS_DRIVER_OK);
        }
    }

    @Test
    void thePlannerExampleCarvesTheVringsFromTheCarveoutAndPrintsTheMap() {
        byte[] rsc = RptunRsc.defaults(Generation.CURRENT)
                .withVrings(256, 0x1000)
                .withCarveout(0x10000, 0x10000, 0x70000)
                .toBytes();
        ParsedResourceTable parsed = ResourceTableParser.parse(MemorySegment.ofArray(rsc), ParseMode.NUTTX);

        MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(), PlanOptions.of(0x80000));
        String map = plan.describe();

        assertThat(plan.resolvedTable().vdevs().getFirst().vrings())
                .extracting(VringResource::da).containsExactly(0x10000L, 0x13000L);
        assertThat(plan.heap(0).offset()).isEqualTo(0x16000);
        assertThat(plan.heap(0).end()).isEqualTo(0x80000);
        assertThat(map).contains("0x00010000  0x00013000", "vdev0 vring0", "vdev0 heap", "vdev0 RX buffers (256 x 512 bytes)");
    }

    @Test
    void theAddressEnvironmentExampleTranslatesAndRefusesOutsideRanges() {
        AddressEnvironment env = AddressEnvironment.of(new AddressWindow(0x8000_0000L, 0x1000_0000L, 0x10_0000));
        long da = env.paToDa(0x8000_1000L);
        assertThat(da).isEqualTo(0x1000_1000L);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(0x10_0000);
            SharedRegion region = SharedRegion.of(shm, 0x8000_0000L, env);
            MemorySegment buffer = region.sliceDa(da, 512);
            assertThat(buffer.byteSize()).isEqualTo(512);
            assertThat(buffer.address()).isEqualTo(shm.address() + 0x1000);
            assertThatThrownBy(() -> region.sliceDa(0x1010_0000L - 256, 512)).isInstanceOf(AddressException.class);
        }
    }

    @Test
    void theVringExampleSendsHelloFromTheDriverToTheDevice() {
        List<String> printed = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment shm = arena.allocate(0x80000, 4096);
            byte[] rsc = RptunRsc.defaults(Generation.CURRENT).withVrings(256, 0x1000)
                    .withCarveout(0x10000, 0x10000, 0x70000).toBytes();
            MemoryPlan plan = SharedMemoryPlanner.plan(
                    ResourceTableParser.parse(MemorySegment.ofArray(rsc), ParseMode.NUTTX).table(), PlanOptions.of(0x80000));
            SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
            Vring ring = Vring.of(shm.asSlice(plan.vring(0, 1).offset()), 256, 0x1000);
            ring.clear();
            CarveoutHeap heap = plan.carveoutHeap(0);

            VirtqueuePort tx = VirtqueuePort.driver("host.tx", ring, region, Mode.SEND, Notifier.NONE);
            for (int i = 0; i < 256; i++) {
                tx.release(Objects.requireNonNull(tx.allocateBuffer(heap, 512)));
            }
            VirtqueuePort rx = VirtqueuePort.device("remote.rx", ring, region, Mode.RECEIVE, Notifier.NONE);

            VringBuffer out = Objects.requireNonNull(tx.acquire());
            out.segment().setString(0, "hello");
            out.length(6);
            tx.submit(out);

            int received = rx.receive(in -> {
                printed.add(in.segment().getString(0));
                rx.submit(in);
            }, 64);

            assertThat(received).isEqualTo(1);
            assertThat(heap.stats().liveBlocks()).isEqualTo(256);
            assertThat(out.offset()).isBetween(plan.heap(0).offset(), plan.heap(0).end() - 512);
        }
        assertThat(printed).containsExactly("hello");
    }

    @Test
    void theRpmsgExampleEchoesHelloThroughTheNameService() throws InterruptedException {
        BlockingQueue<String> printed = new LinkedBlockingQueue<>();
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(64, 512))) {
            loop.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.payload()));

            RpmsgEndpoint client = loop.host().createEndpoint("echo",
                    (ep, msg) -> printed.add("echo: " + msg.asString()));
            assertThat(client.awaitBound(Duration.ofSeconds(5))).isTrue();
            client.send("hello".getBytes(StandardCharsets.UTF_8));

            assertThat(printed.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: hello");
        }
    }

    @Test
    void theBatchExampleSendsAThousandReadingsInOrder() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(64, 512))) {
            BlockingQueue<Long> got = new LinkedBlockingQueue<>();
            loop.remote().createEndpoint("readings",
                    (ep, msg) -> got.add(msg.payload().get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            RpmsgEndpoint client = loop.host().createEndpoint("readings", (ep, msg) -> { });
            assertThat(client.awaitBound(Duration.ofSeconds(10))).isTrue();

            long[] next = {0};
            RpmsgBatchWriter readings = payload -> {            // one writer object, no allocation per message
                if (next[0] == 1_000) {
                    return RpmsgBatchWriter.NO_MORE;             // nothing more now: the buffer goes back unused
                }
                payload.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next[0]++);
                return Long.BYTES;                                // this message's length
            };
            while (next[0] < 1_000) {
                if (client.trySendBatch(readings, 32) == 0) {     // 0: no TX buffer free right now
                    Thread.onSpinWait();                          // (or wait for one with a plain send)
                }
            }

            for (long i = 0; i < 1_000; i++) {
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo(i);
            }
            assertThat(loop.host().stats().txPublications()).as("batches, not a publication per reading")
                    .isLessThan(1_000);
        }
    }
}
