// Volume facade: open + superblock + name lookups shared by the tools.
#include "ocfsx/volume.h"

#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {

Result<std::unique_ptr<Volume>> Volume::Open(const std::string& path, const Options& opts) {
  std::unique_ptr<Volume> v(new Volume());
  DeviceOptions dopts;
  dopts.writable = opts.writable;
  dopts.direct = opts.direct;
  auto dev = Device::Open(path, dopts);
  if (!dev.ok()) return dev.status();
  v->dev_ = std::move(dev).value();
  auto sb = Superblock::ReadPrimary(*v->dev_);
  if (!sb.ok()) return sb.status();
  v->sb_ = std::move(sb).value();
  Status st = v->sb_.Validate(v->dev_->size());
  if (!st.ok()) return st.WithContext(path);
  v->io_ = std::make_unique<MetaIo>(v->dev_.get(), v->sb_.geometry(), v->sb_.fs_generation());
  return v;
}

DirContext Volume::dir_context() const {
  DirContext ctx;
  ctx.io = io_.get();
  DirContext::KeyFromBytes(sb_.raw().s_dx_key, &ctx.k0, &ctx.k1);
  ctx.indexed = sb_.has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS);
  ctx.inline_data = sb_.has_feature_incompat(OCFSX_FEATURE_INCOMPAT_INLINE_DATA);
  return ctx;
}

Result<Inode> Volume::ReadInode(uint64_t blkno) const { return Inode::Read(*io_, blkno); }

Result<uint64_t> Volume::Lookup(uint64_t dir_ino, std::string_view name) const {
  auto dir = ReadInode(dir_ino);
  if (!dir.ok()) return dir.status();
  auto e = LookupDir(dir_context(), *dir, name);
  if (!e.ok()) return e.status();
  return e->ino;
}

Result<uint64_t> Volume::SystemFile(std::string_view name) const {
  auto r = Lookup(Le64(sb_.raw().s_system_dir_blkno), name);
  if (!r.ok() && r.status().err() == ENOENT)
    return ErrnoStatus(ENOENT, dev_->path() + ": system file \"" + std::string(name) + "\"");
  return r;
}

Result<uint64_t> Volume::SystemFile(unsigned int type, unsigned int slot) const {
  char name[32];
  if (ocfsx_sysfile_name(name, sizeof(name), type, slot) < 0)
    return Status::Invalid("no system file of type " + std::to_string(type) + " slot " + std::to_string(slot));
  return SystemFile(name);
}

Result<ChainAllocator> Volume::LoadAllocator(std::string_view name) const {
  auto ino = SystemFile(name);
  if (!ino.ok()) return ino.status();
  return ChainAllocator::Load(*io_, *ino);
}

Result<uint64_t> Volume::LookupPath(std::string_view path) const {
  uint64_t ino = Le64(sb_.raw().s_root_blkno);
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    auto next = Lookup(ino, part);
    if (!next.ok()) return next.status();
    ino = *next;
  }
  return ino;
}

}  // namespace ocfsx
