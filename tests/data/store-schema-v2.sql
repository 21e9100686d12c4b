PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO meta VALUES('schema_version','2');
CREATE TABLE cases (
	id VARCHAR(200) NOT NULL, 
	title TEXT, 
	reserved BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO cases VALUES('alpha',NULL,0);
CREATE TABLE codes (
	id VARCHAR(200) NOT NULL, 
	parent_id VARCHAR(200), 
	name_zh TEXT NOT NULL, 
	name_en TEXT NOT NULL, 
	level VARCHAR(16) NOT NULL, 
	family VARCHAR(32), 
	paradigm_role VARCHAR(16), 
	definition TEXT NOT NULL, 
	origin VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	color VARCHAR(9), 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(parent_id) REFERENCES codes (id)
);
INSERT INTO codes VALUES('h1',NULL,'政策','','category',NULL,NULL,'','human','active',NULL,1);
CREATE TABLE memos (
	id INTEGER NOT NULL, 
	target_type VARCHAR(16) NOT NULL, 
	target_id VARCHAR(200), 
	author VARCHAR(100) NOT NULL, 
	title TEXT NOT NULL, 
	text TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE decisions (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	coder VARCHAR(100) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	payload JSON NOT NULL, 
	undone BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO decisions VALUES(1,'2026-12-03 22:11:44.037215','alice','create_code','{"code_id": "h1", "name_zh": "\u653f\u7b56", "name_en": "", "parent_id": null, "level": "category"}',0);
INSERT INTO decisions VALUES(2,'2026-12-03 22:11:44.074151','alice','add_coding','{"coding_id": 1, "unit_id": 1, "code_id": "h1", "document_id": 1, "start": 0, "end": 4}',0);
CREATE TABLE runs (
	id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	settings JSON NOT NULL, 
	versions JSON NOT NULL, 
	input_hash VARCHAR(64) NOT NULL, 
	summary JSON, 
	PRIMARY KEY (id)
);
CREATE TABLE case_attributes (
	case_id VARCHAR(200) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (case_id, name), 
	FOREIGN KEY(case_id) REFERENCES cases (id) ON DELETE CASCADE
);
CREATE TABLE documents (
	id INTEGER NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	source TEXT NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	encoding VARCHAR(32), 
	title TEXT, 
	language VARCHAR(8), 
	text TEXT NOT NULL, 
	case_id VARCHAR(200), 
	imported_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (content_hash), 
	FOREIGN KEY(case_id) REFERENCES cases (id)
);
INSERT INTO documents VALUES(1,'24578fb8720411203a59c5921ad4502468d1dce1d2b114d0d1e69bb9dda76e18','src/alpha/a.txt','txt','utf-8',NULL,'zh',replace('新建工厂带动了上下游配套，政策支持力度很大。\n当地政府出台补贴政策，吸引东部工程师和人才回流。','\n',char(10)),'alpha','2026-12-03 22:11:43.979366');
INSERT INTO documents VALUES(2,'06ba005774f6da87fb9845ea373fd517ecd403c451b474a8500beb8077f65854','src/alpha/b.txt','txt','utf-8',NULL,'en','The company built a new plant in Chengdu and hired engineers.','alpha','2026-12-03 22:11:44.002301');
CREATE TABLE units (
	id INTEGER NOT NULL, 
	document_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (document_id, position), 
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE
);
INSERT INTO units VALUES(1,1,0,0,22,'新建工厂带动了上下游配套，政策支持力度很大。');
INSERT INTO units VALUES(2,1,1,23,47,'当地政府出台补贴政策，吸引东部工程师和人才回流。');
INSERT INTO units VALUES(3,2,0,0,61,'The company built a new plant in Chengdu and hired engineers.');
CREATE TABLE codings (
	id INTEGER NOT NULL, 
	code_id VARCHAR(200) NOT NULL, 
	document_id INTEGER NOT NULL, 
	unit_id INTEGER, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	coder VARCHAR(100) NOT NULL, 
	origin VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	confidence FLOAT, 
	run_id INTEGER, 
	created_at DATETIME NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(code_id) REFERENCES codes (id), 
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE, 
	FOREIGN KEY(unit_id) REFERENCES units (id) ON DELETE CASCADE, 
	FOREIGN KEY(run_id) REFERENCES runs (id)
);
INSERT INTO codings VALUES(1,'h1',1,1,0,4,'alice','human','accepted',NULL,NULL,'2026-12-03 22:11:44.062345',1);
CREATE INDEX ix_codes_parent_id ON codes (parent_id);
CREATE INDEX ix_documents_case_id ON documents (case_id);
CREATE INDEX ix_units_document_start ON units (document_id, start);
CREATE INDEX ix_codings_code_status ON codings (code_id, status, origin);
CREATE INDEX ix_codings_unit_id ON codings (unit_id);
CREATE INDEX ix_codings_document_status ON codings (document_id, status);
COMMIT;
