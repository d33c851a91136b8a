/* The module tree and the checksum databases' tree under a base directory, as the
 * disk plugin lays them out. */
#include "disk_tree.h"

#include "disk_path.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int walk_dir(const char *base, const char *rel, disk_vdir_fn visit, disk_file_fn latest, void *arg, int depth)
{
    char path[PATH_MAX * 2 + 2];
    snprintf(path, sizeof(path), "%s/%s", base, rel);
    DIR *dp = depth <= 64 ? opendir(path) : NULL;
    int stop = 0;
    for (struct dirent *e; dp != NULL && !stop && (e = readdir(dp)) != NULL;) {
        if (e->d_name[0] == '.' || (depth == 0 && strcmp(e->d_name, "sumdb") == 0))
            continue;
        char sub[PATH_MAX], module[PATH_MAX];
        if (e->d_type != DT_DIR) {
            if (latest != NULL && *rel != '\0' && strcmp(e->d_name, "@latest") == 0 &&
                disk_unescape(rel, module, sizeof(module)) == 0)
                stop = latest(arg, &(stoa_key){module, NULL, STOA_KIND_LATEST}, dirfd(dp), e->d_name);
        } else if (strcmp(e->d_name, "@v") == 0) {
            char vpath[sizeof(path) + 4];
            snprintf(vpath, sizeof(vpath), "%s/@v", path);
            DIR *vd = *rel != '\0' && disk_unescape(rel, module, sizeof(module)) == 0 ? opendir(vpath) : NULL;
            if (vd != NULL) {
                stop = visit(arg, module, vd);
                closedir(vd);
            }
        } else if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name) < (int)sizeof(sub)) {
            stop = walk_dir(base, sub, visit, latest, arg, depth + 1);
        }
    }
    if (dp != NULL)
        closedir(dp);
    return stop;
}

int disk_tree_walk(const char *base, disk_vdir_fn visit, void *arg)
{
    return walk_dir(base, "", visit, NULL, arg, 0);
}

int disk_tree_walk_latest(const char *base, disk_vdir_fn visit, disk_file_fn latest, void *arg)
{
    return walk_dir(base, "", visit, latest, arg, 0);
}

/* A file of the database directory rel: its latest, or when tile > 0 (the length of
 * the database's name in rel) a tile. */
static int sumdb_file(const char *rel, size_t tile, int dfd, const char *name, disk_file_fn fn, void *arg)
{
    char db[PATH_MAX], ver[PATH_MAX];
    stoa_key key = {db, NULL, STOA_KIND_SUMDB_LATEST};
    snprintf(db, sizeof(db), "%.*s", (int)(tile > 0 ? tile : strlen(rel)), rel);
    if (tile > 0) {
        snprintf(ver, sizeof(ver), "%s/%s", rel + tile + 1, name);
        key.version = ver;
        key.kind = STOA_KIND_SUMDB_TILE;
    }
    return fn(arg, &key, dfd, name);
}

/* The directory dfd (taken over) at rel below base/sumdb; tile as for sumdb_file. A
 * database's name may hold '/' ("localhost.localdev/sumdb"): its directory is the one
 * holding "latest" or "tile". Subdirectories are opened with O_NOFOLLOW. */
static int walk_sumdb(int dfd, char *rel, size_t tile, disk_file_fn fn, void *arg, int depth)
{
    DIR *dp = depth <= 64 ? fdopendir(dfd) : NULL;
    if (dp == NULL) {
        close(dfd);
        return 0;
    }
    size_t n = strlen(rel);
    int stop = 0;
    for (struct dirent *e; !stop && (e = readdir(dp)) != NULL;) {
        if (e->d_name[0] == '.' || n + strlen(e->d_name) + 2 > PATH_MAX)
            continue;
        if (e->d_type != DT_DIR) {
            if (tile > 0 || (n > 0 && strcmp(e->d_name, "latest") == 0))
                stop = sumdb_file(rel, tile, dirfd(dp), e->d_name, fn, arg);
            continue;
        }
        int sub = openat(dirfd(dp), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        size_t t = tile == 0 && n > 0 && strcmp(e->d_name, "tile") == 0 ? n : tile;
        snprintf(rel + n, PATH_MAX - n, "%s%s", n > 0 ? "/" : "", e->d_name);
        stop = walk_sumdb(sub, rel, t, fn, arg, depth + 1);
        rel[n] = '\0';
    }
    closedir(dp);
    return stop;
}

int disk_tree_sumdb(const char *base, disk_file_fn fn, void *arg)
{
    char path[PATH_MAX], rel[PATH_MAX] = "";
    if (snprintf(path, sizeof(path), "%s/sumdb", base) >= (int)sizeof(path))
        return 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? 0 : walk_sumdb(fd, rel, 0, fn, arg, 0);
}

int disk_tree_versions(DIR *vdir, const char *module, disk_version_fn fn, void *arg)
{
    for (struct dirent *v; (v = readdir(vdir)) != NULL;) {
        size_t l = strlen(v->d_name);
        char esc[256], ver[256];
        struct stat st;
        if (l <= 5 || v->d_name[0] == '.' || strcmp(v->d_name + l - 5, ".info") != 0 || l - 5 >= sizeof(esc))
            continue;
        snprintf(esc, sizeof(esc), "%.*s", (int)(l - 5), v->d_name);
        if (disk_unescape(esc, ver, sizeof(ver)) != 0 || fstatat(dirfd(vdir), v->d_name, &st, 0) != 0)
            continue;
        int rc = fn(arg, module, ver, &st);
        if (rc != 0)
            return rc;
    }
    return 0;
}
