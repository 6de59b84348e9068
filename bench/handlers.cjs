// Benchmark handlers: no work at all, so the figures measure Baton itself.
module.exports = {
  async noop() {
    return null;
  },
};
