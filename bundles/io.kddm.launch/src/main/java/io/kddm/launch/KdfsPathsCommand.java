package io.kddm.launch;

import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.jline.reader.Candidate;
import org.jline.reader.ParsedLine;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code console:kdfspaths}: the kDFS paths Tab offers after a {@code kdfs:}
 * command (the console's gosh_profile names it in {@code complete -a}); none
 * while the kDFS bundle is absent.
 * <p>
 * The kDFS bundle comes from the node's drop-in folder, after this bundle has
 * resolved, and may be absent or replaced live: so its service is looked up at
 * each Tab and its package imported dynamically (bnd.bnd), rather than
 * a DS reference that would make the runtime's resolver require kDFS.
 */
@Component(service = KdfsPathsCommand.class, property = {"osgi.command.scope=console",
    "osgi.command.function=kdfspaths"})
public final class KdfsPathsCommand {
    /** The session variable where Gogo's completion puts the line being completed. */
    private static final String COMMAND_LINE = ".commandLine";

    private final BundleContext context;

    @Activate
    public KdfsPathsCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("the kDFS paths that complete the word under the cursor (what Tab offers after a kdfs: command)")
    public List<Candidate> kdfspaths(CommandSession session) {
        Object line = session.get(COMMAND_LINE);
        String word = "";
        if (line instanceof ParsedLine parsed) {
            word = parsed.word().substring(0, Math.min(parsed.wordCursor(), parsed.word().length()));
        }
        return paths(word).stream()
                .map(p -> new Candidate(p.value(), p.name(), null, null, null, null, !p.directory())).toList();
    }

    @Descriptor("the kDFS paths that start with PREFIX (an absolute path), as Tab offers them")
    public List<String> kdfspaths(@Descriptor("prefix") String prefix) {
        return paths(prefix).stream().map(KdfsPathCompletion.Path::value).toList();
    }

    private List<KdfsPathCompletion.Path> paths(String word) {
        try {
            return KdfsPathCompletion.complete(context, word);
        } catch (NoClassDefFoundError noKdfsBundle) {
            return List.of(); // its package cannot be wired: the kDFS bundle is not installed
        }
    }
}
