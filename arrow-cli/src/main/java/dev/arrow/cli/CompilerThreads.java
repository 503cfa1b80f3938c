package dev.arrow.cli;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The JIT compiler threads' priority. The start-up cache's method profiles keep the compilers (C1
 * and C2, one thread each on 2 cores) busy through the node's whole start, where they took a good
 * part of the CPU the start itself needed. So the launcher starts {@code serve} with its compiler
 * threads at the lowest priority (as root, where that can be undone: {@code
 * -XX:CompilerThreadPriority=19}), and the node gives them their normal priority back once it is
 * ready. See docs/benchmarks.md for what it changed.
 */
final class CompilerThreads {

    private static final int PRIO_PROCESS = 0;
    private static final int NORMAL = 0;
    /** In /proc/PID/task/TID/stat, counted from the field after the command's closing parenthesis. */
    private static final int NICE_FIELD = 16;

    private CompilerThreads() {}

    /**
     * Gives compiler threads that run below the normal priority their normal priority; does
     * nothing where none does, or where this process may not raise a priority.
     */
    static void restoreNormalPriority() {
        List<Integer> lowered = lowered();
        if (!lowered.isEmpty()) { // else, as off the launcher, setpriority is never even linked
            setNice(lowered, NORMAL);
        }
    }

    /** Thread ids of the compiler threads with a nice value above normal. */
    static List<Integer> lowered() {
        return compilerThreads(nice -> nice > NORMAL);
    }

    /** Thread ids of the compiler threads whose nice value passes {@code test}. */
    static List<Integer> compilerThreads(IntPredicate test) {
        var tids = new ArrayList<Integer>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (open < 0 || close < open) {
                    continue;
                }
                // HotSpot's names, cut to 15 bytes: "C2 CompilerThread0" reads "C2 CompilerThre".
                String name = stat.substring(open + 1, close);
                String[] fields = stat.substring(close + 2).split(" ");
                if ((name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre"))
                        && fields.length > NICE_FIELD && test.test(Integer.parseInt(fields[NICE_FIELD]))) {
                    tids.add(Integer.parseInt(task.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return tids;
    }

    /** Sets the nice value of each thread; answers whether every one took it. */
    static boolean setNice(List<Integer> tids, int nice) {
        boolean all = true;
        try {
            for (int tid : tids) {
                all &= (int) Native.SETPRIORITY.invokeExact(PRIO_PROCESS, tid, nice) == 0;
            }
        } catch (Throwable e) {
            return false; // only a matter of speed
        }
        return all;
    }

    /** Linked at first use: most processes never need them. */
    private static final class Native {
        private static final Linker LINKER = Linker.nativeLinker();
        static final MethodHandle SETPRIORITY = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("setpriority"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }
}
