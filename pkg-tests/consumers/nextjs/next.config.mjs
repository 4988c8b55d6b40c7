// NOTE: only for the consumer matrix, whose node_modules entries link to a
// shared install outside the project: Turbopack compiles files under its root
// only. An ordinary install needs no config at all.
export default { turbopack: { root: '/' } };
