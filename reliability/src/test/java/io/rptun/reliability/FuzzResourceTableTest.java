package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanException;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableException;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.RptunRsc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Coverage-guided fuzzing of the resource-table parser, with Jazzer: whatever bytes a peer or a file hands
 * us, {@link ResourceTableParser#parse} in either {@link ParseMode} either refuses them with a
 * {@link ResourceTableException} (a reason, and an offset inside the bytes) or returns a table that
 * <ul>
 * <li>written back by {@link ResourceTableWriter} parses to the same table (and writes to the same bytes),</li>
 * <li>read as NuttX's standard table ({@link RptunRsc#from}) when it is one, survives the builder's round trip,</li>
 * <li>attached live ({@link LiveResourceTable}) reads every run-time field without leaving the table, and</li>
 * <li>planned into a region ({@link SharedMemoryPlanner}) either fits or fails with a {@link PlanException}.</li>
 * </ul>
 * Anything else thrown is a finding.
 *
 * <p>In the normal build Jazzer runs the seed corpus (regression mode: the standard NuttX tables of both
 * generations, OpenAMP's demo table, tables with every entry type, and the inputs of past findings, in
 * {@code src/test/resources/io/rptun/reliability/FuzzResourceTableTestInputs/}); {@code FuzzPropertiesTest}
 * feeds the same checks seeded random mutations. With {@code JAZZER_FUZZ=1} Jazzer fuzzes one target per JVM
 * for {@code jazzer.max_duration} (see {@code docs/reliability.md}).
 */
class FuzzResourceTableTest {

    @FuzzTest(maxDuration = "10s")
    void anyBytesParseToATableThatRoundTripsOrFailWithATypedError(byte[] bytes) {
        check(bytes);
    }

    /** The whole oracle, shared with the random-mutation property. */
    static void check(byte[] bytes) {
        for (ParseMode mode : ParseMode.values()) {
            check(bytes, mode);
        }
    }

    private static void check(byte[] bytes, ParseMode mode) {
        ParsedResourceTable parsed;
        try {
            parsed = ResourceTableParser.parse(MemorySegment.ofArray(bytes), mode);
        } catch (ResourceTableException e) {
            assertThat(e.reason()).isNotNull();
            assertThat(e.offset()).as("the offending offset of %s", e).isBetween(0L, (long) bytes.length);
            return;
        }
        assertThat(parsed.extent()).isBetween(16L, (long) bytes.length);
        for (long offset : parsed.entryOffsets()) {
            assertThat(offset).isBetween(16L, parsed.extent());
        }

        byte[] written = ResourceTableWriter.toBytes(parsed.table());
        ParsedResourceTable again = ResourceTableParser.parse(MemorySegment.ofArray(written), mode);
        assertThat(again.table()).as("parse(write(parse(bytes)))").isEqualTo(parsed.table());
        assertThat(ResourceTableWriter.toBytes(again.table())).as("write is canonical").isEqualTo(written);

        standardRoundTrip(parsed, mode);
        liveFields(bytes, parsed);
        plan(parsed.table(), bytes.length);
    }

    /** NuttX's {@code rptun_rsc_s}, when the table is one: builder -> bytes -> parse -> builder is the identity. */
    private static void standardRoundTrip(ParsedResourceTable parsed, ParseMode mode) {
        RptunRsc rsc;
        try {
            rsc = RptunRsc.from(parsed);
        } catch (ResourceTableException e) {
            assertThat(e.reason()).isEqualTo(ResourceTableException.Reason.NOT_STANDARD);
            return;
        }
        byte[] bytes = rsc.toBytes();
        assertThat(RptunRsc.from(ResourceTableParser.parse(MemorySegment.ofArray(bytes), mode))).isEqualTo(rsc);
    }

    /** Every live field of every vdev, carveout and the mailbox reads in place over a copy of the bytes. */
    private static void liveFields(byte[] bytes, ParsedResourceTable parsed) {
        try (Arena arena = Arena.ofConfined()) {
            // Native and 8-aligned, as a mapping is: the live accessors use aligned atomic access modes.
            MemorySegment memory = arena.allocate(Math.max(1, bytes.length), 8);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
            LiveResourceTable live = parsed.attach(memory);
            ResourceTable table = parsed.table();
            for (int v = 0; v < table.vdevs().size(); v++) {
                assertThat(live.status(v)).isEqualTo(table.vdevs().get(v).status());
                assertThat(live.gfeatures(v)).isEqualTo(table.vdevs().get(v).gfeatures());
                assertThat(live.dfeatures(v)).isEqualTo(table.vdevs().get(v).dfeatures());
                live.vdevNotifyId(v);
                for (int r = 0; r < table.vdevs().get(v).vrings().size(); r++) {
                    assertThat(live.vringDa(v, r)).isEqualTo(table.vdevs().get(v).vrings().get(r).da());
                    live.vringNotifyId(v, r);
                }
            }
            for (int c = 0; c < table.carveouts().size(); c++) {
                assertThat(live.carveoutDa(c)).isEqualTo(table.carveouts().get(c).da());
                live.carveoutPa(c);
            }
            assertThat(live.masterCommand()).isEqualTo(table.masterCommand());
            assertThat(live.slaveCommand()).isEqualTo(table.slaveCommand());
        }
    }

    /** The master's layout: a small region and a large one; only a {@link PlanException} may refuse it. */
    private static void plan(ResourceTable table, int tableBytes) {
        for (long size : new long[] {Math.max(0x1000, tableBytes), 0x10_0000}) {
            try {
                MemoryPlan plan = SharedMemoryPlanner.plan(table, PlanOptions.of(size));
                assertThat(plan.regions()).allSatisfy(r -> {
                    assertThat(r.offset()).isNotNegative();
                    assertThat(r.offset() + r.size()).isLessThanOrEqualTo(size);
                });
            } catch (PlanException e) {
                assertThat(e.reason()).isNotNull();
            }
        }
    }
}
