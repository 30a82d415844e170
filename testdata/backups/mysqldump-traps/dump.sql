/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: ops
-- ------------------------------------------------------
-- Server version	10.11.19-MariaDB-0+deb12u1-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;

-- A corresponding to the above master-data CHANGE-MASTER settings to the slave gtid state is printed later in the file.

--
-- Alternately, following is the position of the binary logging from SHOW MASTER STATUS at point of backup.
-- Use this when creating a slave of the master server where the backup was made.
-- The new server will be connecting to the master server where the backup was taken.
--

-- CHANGE MASTER TO MASTER_LOG_FILE='mariadb-bin.000007', MASTER_LOG_POS=2212;

--
-- Current Database: `ops`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `ops` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `ops`;

--
-- Dumping data for table `runbook`
--

LOCK TABLES `runbook` WRITE;
INSERT INTO `runbook` VALUES
(1,'-- CHANGE MASTER TO MASTER_LOG_FILE=\'evil.000001\', MASTER_LOG_POS=4;'),
(2,'SET GLOBAL gtid_slave_pos=\'9-9-9\';');
UNLOCK TABLES;

--
-- Dumping routines for database 'ops'
--
/*!50003 DROP PROCEDURE IF EXISTS `repoint` */;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `repoint`()
BEGIN
-- SHOW SLAVE STATUS first
STOP SLAVE;
CHANGE MASTER TO MASTER_LOG_FILE='evil.000002', MASTER_LOG_POS=4;
SET GLOBAL gtid_slave_pos='9-9-9';
START SLAVE;
END ;;
DELIMITER ;

-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows

-- Preferably use GTID to start replication from GTID position:

-- SET GLOBAL gtid_slave_pos='0-1-2212';
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2026-12-01 20:00:07
