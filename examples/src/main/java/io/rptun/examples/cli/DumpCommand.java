package io.rptun.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rptun dump FILE}: what a live or stopped shared-memory file holds, read without ever writing
 * to it ({@link FileInspector}). A file it cannot read at all is one line on stderr and exit code 2.
 */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Shows what a live or stopped rptun shared-memory file holds. It only reads",
                "(the file is mapped read-only), so it is safe on a running link.",
                "  - the file: a simulator file (sim header: epochs; per side the pid and",
                "    whether it runs now, heartbeat, state, doorbell), OpenAMP's Linux",
                "    demo shm, or any raw region with a resource table at offset 0;",
                "  - the resource table: every entry; vdev features, status bits, vrings,",
                "    NuttX's fw_rsc_config (buffer sizes, cpu names); carveouts, trace;",
                "    NuttX's cmd_master/cmd_slave mailbox words, decoded;",
                "  - the memory map: table, vrings, carveout, heap;",
                "  - each vring: avail/used flags and idx, the in-flight count, and the",
                "    descriptors the last avail and used entries name (addr, len, flags;",
                "    OUTSIDE when a buffer leaves the region);",
                "  - endpoints as the ring buffers still show them: rpmsg src -> dst counts",
                "    and name-service messages (endpoints live in the processes);",
                "  - the heap window and the buffers the descriptors point to;",
                "  - anomalies: whatever in the file is out of range (still exit 0).",
                "A missing, empty, truncated or foreign file, or a garbage table, is one",
                "line on stderr and exit 2.",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:dumped (anomalies inside the file are reported, not fatal)",
                "2:missing, not a regular file, empty, truncated, foreign, garbage table"})
final class DumpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the shared file, e.g. /dev/shm/my-link")
    Path file;

    @Option(names = "--json", description = "print one JSON object instead of text, for tools")
    boolean json;

    @Option(names = "--entries", paramLabel = "N", defaultValue = "32768",
            description = "list at most N avail and N used entries per vring (default: all)")
    int entries;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (entries < 0) {
            throw new IllegalArgumentException("--entries must not be negative: " + entries);
        }
        DumpReport report;
        try {
            report = FileInspector.inspect(file, entries);
        } catch (DumpException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("rptun dump: " + RptunCli.oneLine(e));
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        out.print(json ? DumpJson.render(report) : DumpText.render(report));
        out.flush();
        return ExitCodes.OK;
    }
}
