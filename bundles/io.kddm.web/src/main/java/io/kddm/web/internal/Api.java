package io.kddm.web.internal;

import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON of {@code /cluster/api/...}, by path, with the status code to send:
 * 200, 400 (EINVAL: bad arguments), 404 (ENOENT: no such document or set), or
 * 500 for a failure of this node. Read-only: no path changes anything.
 */
final class Api {
    private static final Logger LOG = LoggerFactory.getLogger(Api.class);

    record Reply(int status, String body) {
    }

    private final ClusterModel model;
    private final Supplier<String> kdfs;

    /** @param kdfs the kDFS document ({@link KdfsPanel#json}), or one saying kDFS is not here */
    Api(ClusterModel model, Supplier<String> kdfs) {
        this.model = model;
        this.kdfs = kdfs;
    }

    /** The document at {@code path} (after {@code /cluster/api}), with the query parameters in {@code param}. */
    Reply get(String path, Function<String, String> param) {
        try {
            String p = path == null ? "" : path;
            return switch (p) {
                case "/nodes" -> ok(model.nodes());
                case "/sets" -> ok(model.sets());
                case "/stats" -> ok(model.stats());
                case "/kdfs" -> ok(kdfs.get());
                case "/object" -> ok(model.object(ObjectRef.parse(param.apply("set"), param.apply("object"))));
                default -> error(404, "ENOENT: no document " + p + " (nodes, sets, object, kdfs, stats)");
            };
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        } catch (NoSuchElementException e) {
            return error(404, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("cluster page: {} failed", path, e);
            return error(500, "EIO: " + e);
        }
    }

    private static Reply ok(String json) {
        return new Reply(200, json);
    }

    private static Reply error(int status, String message) {
        return new Reply(status, new Json().object().put("error", message).endObject().toString());
    }
}
