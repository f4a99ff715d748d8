// After `npm install`: one line saying which Node the project runs on. npm itself may have run on
// an older system Node (its version is in npm_config_user_agent), which is fine: npm scripts put
// node_modules/.bin first on PATH, so `npm start` and `npm test` use the Node 24 installed here.
// Plain JavaScript: it must run whichever Node npm found.
const agent = process.env.npm_config_user_agent ?? ''
const npmNode = /node\/(v[\d.]+)/.exec(agent)?.[1]
const note = npmNode !== undefined && npmNode !== process.version
  ? `P2PDEVIDEO runs on Node.js ${process.version} from node_modules (npm itself ran on ${npmNode}; its engine warnings are silenced in .npmrc). Next: npm start`
  : `P2PDEVIDEO runs on Node.js ${process.version}. Next: npm start`
process.stdout.write(note + '\n')
